// Risk events (DESIGN.md §7): one row per kind, subject and 10 minutes, with how often it happened; every role reads.
import { api } from '../api.js';
import { h, when } from '../dom.js';
import { RISK_KIND, label } from '../labels.js';
import { pagedTable } from '../list.js';

export async function render(root, [kind = '']) {
  const kinds = h('select', { name: 'kind' }, h('option', { value: '' }, '全部类型'),
    Object.keys(RISK_KIND).map((value) => h('option', { value }, RISK_KIND[value])));
  kinds.value = kind;
  const tools = h('form', { class: 'tools', 'data-testid': 'risk-filter' }, h('label', {}, '类型 ', kinds),
    h('button', { type: 'submit' }, '查看'));
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['首次发生', '最近发生', '类型', '对象', '次数', '详情'],
      load: (cursor) => api('GET', '/admin/v1/risk/events', { query: { kind: kinds.value, cursor } }),
      row: eventRow, empty: '没有风险事件', testid: 'risk-events',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  tools.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '风险事件'), tools),
    h('p', { class: 'muted' }, '同一对象的同类事件每10分钟合并为一条，并记录发生次数。'), holder);
  await show();
}

function subjectText(subject) {
  const [type, ...rest] = subject.split(':');
  const id = rest.join(':');
  if (type === 'order') return h('a', { href: `#/orders/${encodeURIComponent(id)}` }, `订单 ${id}`);
  return { user: `用户 ${id}`, ip: `来源地址 ${id}` }[type] || subject;
}

function eventRow(event) {
  return h('tr', { 'data-id': event.id, 'data-kind': event.kind },
    h('td', {}, when(event.at)), h('td', {}, when(event.last_at)),
    h('td', {}, h('span', { class: 'tag warn' }, label(RISK_KIND, event.kind))),
    h('td', {}, subjectText(event.subject)), h('td', { class: 'num', 'data-testid': 'count' }, String(event.count)),
    h('td', {}, h('details', {}, h('summary', {}, '明细'), h('pre', {}, JSON.stringify(event.details, null, 2)))));
}

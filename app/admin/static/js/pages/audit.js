// The audit log (DESIGN.md §6): who changed what, before and after, newest first.
import { api } from '../api.js';
import { h, when } from '../dom.js';
import { pagedTable } from '../list.js';

function snapshot(value) {
  if (value === null || value === undefined) return '—';
  return h('details', {}, h('summary', {}, '查看'), h('pre', {}, JSON.stringify(value, null, 2)));
}

export async function render(root) {
  const action = h('input', { name: 'action', placeholder: '如 promotion.update' });
  const target = h('input', { name: 'target_id', placeholder: '对象 ID' });
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['时间', '操作员', '操作', '对象', '修改前', '修改后'],
      load: (cursor) => api('GET', '/admin/v1/audit',
        { query: { action: action.value.trim(), target_id: target.value.trim(), cursor } }),
      row: (entry) => h('tr', {}, h('td', {}, when(entry.at)), h('td', {}, entry.operator_id),
        h('td', {}, entry.action), h('td', {}, `${entry.target_type} ${entry.target_id}`),
        h('td', {}, snapshot(entry.before)), h('td', {}, snapshot(entry.after))),
      empty: '暂无记录', testid: 'audit',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  const filters = h('form', { class: 'tools' }, action, target, h('button', { type: 'submit' }, '筛选'));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '审计日志'), filters), holder);
  await show();
}

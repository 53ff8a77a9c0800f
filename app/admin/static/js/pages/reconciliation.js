// Reconciliation against WeChat Pay's trade bill (DESIGN.md §8): pick a day, read its run and differences,
// resolve a difference with a note (operators and admins; the API checks the role again).
import { api, can } from '../api.js';
import { addDays, beijingDay, errorBox, field, h, section, table, toast, when, yuan } from '../dom.js';
import { ORDER_STATUS, RECONCILIATION_KIND, REFUND_STATUS, RUN_STATUS, SETTLEMENT, label } from '../labels.js';
import { pagedTable } from '../list.js';

const KINDS = Object.keys(RECONCILIATION_KIND);

export async function render(root, [day]) {
  const date = h('input', { type: 'date', name: 'date', value: day || addDays(beijingDay(), -1), required: true });
  const state = h('select', { name: 'status' }, h('option', { value: '' }, '全部差异'),
    h('option', { value: 'open' }, '待处理'), h('option', { value: 'resolved' }, '已处理'));
  const kind = h('select', { name: 'kind' }, h('option', { value: '' }, '全部类型'),
    KINDS.map((value) => h('option', { value }, label(RECONCILIATION_KIND, value))));
  const tools = h('form', { class: 'tools', 'data-testid': 'reconciliation-day' }, h('label', {}, '账单日 ', date),
    h('label', {}, '类型 ', kind), h('label', {}, '状态 ', state), h('button', { type: 'submit' }, '查看'));
  const runBox = h('div');
  const holder = h('div');
  const show = async () => {
    runBox.replaceChildren();
    const list = pagedTable({
      headers: ['类型', '商户订单号', '微信支付账单', '本系统', '自动处理', '处理'],
      load: async (cursor) => {
        const answer = await api('GET', '/admin/v1/reconciliation',
          { query: { date: date.value, kind: kind.value, status: state.value, cursor } });
        if (!cursor) runBox.replaceChildren(runSummary(answer.run, answer.date));
        return answer.differences;
      },
      row: differenceRow, empty: '没有差异', testid: 'differences',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  tools.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '对账'), tools), runBox, holder);
  await show();
}

function runSummary(run, day) {
  if (!run) return section(`${day} 的对账`, h('p', { class: 'muted', 'data-testid': 'run-status' }, '该日尚未对账。'));
  const sides = [['微信支付账单', run.remote], ['本系统', run.local]];
  return section(`${run.date} 的对账`,
    h('dl', { class: 'facts' },
      h('dt', {}, '状态'), h('dd', { 'data-testid': 'run-status', 'data-status': run.status }, label(RUN_STATUS, run.status)),
      h('dt', {}, '对账时间'), h('dd', {}, when(run.compared_at)),
      h('dt', {}, '下次重试'), h('dd', {}, when(run.next_attempt_at)),
      h('dt', {}, '接口'), h('dd', {}, run.api || '—'),
      h('dt', {}, '未处理差异'), h('dd', {}, `${run.counts.open} / ${run.counts.total}`),
      h('dt', {}, '最近错误'), h('dd', {}, run.last_error || '—')),
    table(['', '支付笔数', '支付金额', '退款笔数', '退款金额'], sides.map(([name, side]) => h('tr', {},
      h('td', {}, name), h('td', { class: 'num' }, String(side.payments)), h('td', { class: 'num' }, yuan(side.paid_fen)),
      h('td', { class: 'num' }, String(side.refunds)), h('td', { class: 'num' }, yuan(side.refunded_fen)))),
    { testid: 'run-totals' }),
    h('p', {}, KINDS.map((kind) => h('span', { class: run.counts[kind] ? 'tag warn' : 'tag' },
      `${label(RECONCILIATION_KIND, kind)} ${run.counts[kind]}`))));
}

function sideText(side) {
  if (!side) return h('span', { class: 'muted' }, '无记录');
  const status = side.status ? label({ ...ORDER_STATUS, ...REFUND_STATUS }, side.status) : null;
  const amount = side.amount_fen ?? side.payable_fen;
  const id = side.transaction_id || side.refund_id || side.out_refund_no || '';
  return h('span', {}, [status, yuan(amount), id].filter(Boolean).join(' · '),
    h('details', {}, h('summary', {}, '明细'), h('pre', {}, JSON.stringify(side, null, 2))));
}

function orderLink(difference) {
  const text = difference.out_trade_no || difference.key;
  return difference.order_id ? h('a', { href: `#/orders/${encodeURIComponent(difference.order_id)}` }, text) : text;
}

function differenceRow(difference) {
  const handling = h('td', { 'data-testid': 'handling' });
  const row = h('tr', { 'data-id': difference.id, 'data-kind': difference.kind },
    h('td', {}, h('span', { class: 'tag warn' }, label(RECONCILIATION_KIND, difference.kind))),
    h('td', {}, orderLink(difference)), h('td', {}, sideText(difference.remote)), h('td', {}, sideText(difference.local)),
    h('td', {}, difference.settlement ? label(SETTLEMENT, difference.settlement) : '—'), handling);
  showHandling(handling, difference);
  return row;
}

function showHandling(cell, difference) {
  if (difference.resolved) {
    cell.replaceChildren(h('span', { class: 'tag on' }, '已处理'), ` ${difference.note || ''}`,
      h('small', { class: 'muted' }, ` ${difference.resolved_by} · ${when(difference.resolved_at)}`));
  } else if (can.manage()) {
    cell.replaceChildren(h('button', { type: 'button', class: 'secondary', onclick: () => resolveForm(cell, difference) },
      '标记已处理'));
  } else {
    cell.replaceChildren(h('span', { class: 'muted' }, '待处理'));
  }
}

function resolveForm(cell, difference) {
  const note = h('input', { name: 'note', maxlength: 500, required: true, placeholder: '处理说明（必填）' });
  const problems = h('div');
  const submit = h('button', { type: 'submit' }, '确认');
  const form = h('form', { class: 'form', 'data-testid': 'resolve-form', novalidate: true }, field('处理说明', note),
    problems, submit, ' ', h('button', { type: 'button', class: 'secondary', onclick: () => showHandling(cell, difference) },
      '取消'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    if (!note.value.trim()) {
      problems.append(errorBox({ message: '请填写处理说明' }));
      return;
    }
    submit.disabled = true;
    try {
      const resolved = await api('POST', `/admin/v1/reconciliation/differences/${encodeURIComponent(difference.id)}/resolve`,
        { body: { note: note.value.trim() } });
      toast('已标记为已处理');
      showHandling(cell, resolved);
    } catch (error) {
      problems.append(errorBox(error));
      submit.disabled = false;
    }
  });
  cell.replaceChildren(form);
  note.focus();
}

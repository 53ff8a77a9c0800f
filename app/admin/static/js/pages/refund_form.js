// The refund form of an order (DESIGN.md §6 "Refunds"). One Idempotency-Key per refund the operator means:
// a double click, or a retry after a lost or retryable answer (503 while WeChat Pay is silent), cannot refund
// twice; a new key once the server has settled the request.
import { api, can, newIdempotencyKey } from '../api.js';
import { errorBox, fenToYuanInput, field, h, parseYuan, toast, yuan } from '../dom.js';
import { REFUND_STATUS, label } from '../labels.js';

const REFUNDABLE = ['PAID', 'PARTIALLY_REFUNDED'];

export function refundForm(order, onRefunded) {
  if (!can.manage() || !REFUNDABLE.includes(order.status)) return null;
  const left = order.payable_fen - order.refunded_fen;
  const amount = h('input', { name: 'amount', inputmode: 'decimal', value: fenToYuanInput(left), required: true });
  const reason = h('input', { name: 'reason', maxlength: 80, placeholder: '如 顾客退货（最多 80 字）' });
  const submit = h('button', { type: 'submit', class: 'danger' }, '退款');
  const problems = h('div');
  const form = h('form', { class: 'form inline-form', 'data-testid': 'refund-form', novalidate: true },
    h('div', { class: 'row' }, field(`退款金额（元，最多 ${yuan(left)}）`, amount), field('原因', reason)), problems, submit);
  let key = newIdempotencyKey();
  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    problems.replaceChildren();
    let amountFen;
    try {
      amountFen = parseYuan(amount.value);
      if (!amountFen) throw new Error('请输入退款金额');
    } catch (error) {
      problems.append(errorBox({ message: error.message }));
      return;
    }
    sending = true;
    submit.disabled = true;
    try {
      const refund = await api('POST', `/admin/v1/orders/${encodeURIComponent(order.id)}/refund`,
        { body: { amount_fen: amountFen, reason: reason.value.trim() }, headers: { 'Idempotency-Key': key } });
      toast(`退款 ${yuan(refund.amount_fen)}：${label(REFUND_STATUS, refund.status)}`);
      key = newIdempotencyKey();
      onRefunded(refund);
    } catch (error) {
      if (error.status && !error.details.retryable) key = newIdempotencyKey();
      problems.append(errorBox(error));
    } finally {
      sending = false;
      submit.disabled = false;
    }
  });
  return form;
}

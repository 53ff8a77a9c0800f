// Wallet credits by operators (DESIGN.md §6 "Wallets").
import { api } from '../api.js';
import { errorBox, field, h, parseYuan, section, table, when, yuan } from '../dom.js';

export async function render(root) {
  const userId = h('input', { name: 'user_id', required: true, placeholder: 'usr_…', maxlength: 40 });
  const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true, placeholder: '元' });
  const reason = h('input', { name: 'reason', required: true, maxlength: 200, placeholder: '如 客服补偿' });
  const save = h('button', { type: 'submit' }, '充值');
  const result = h('div');
  const done = [];
  const form = h('form', { class: 'form', 'data-testid': 'credit-form', novalidate: true },
    h('div', { class: 'row' }, field('用户 ID', userId), field('金额（元）', amount), field('原因', reason)), save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    let amountFen;
    try {
      amountFen = parseYuan(amount.value);
      if (!amountFen) throw new Error('请输入充值金额');
    } catch (error) {
      result.append(errorBox({ message: error.message }));
      return;
    }
    save.disabled = true;
    try {
      const credit = await api('POST', `/admin/v1/wallets/${encodeURIComponent(userId.value.trim())}/credit`,
        { body: { amount_fen: amountFen, reason: reason.value.trim() } });
      done.unshift(credit);
      amount.value = '';
      result.append(h('p', { class: 'ok' }, `已为 ${credit.user_id} 充值 ${yuan(credit.entry.amount_fen)}，余额 ${yuan(credit.balance_fen)}`),
        table(['时间', '用户', '金额', '余额', '原因'], done.map((c) => h('tr', {}, h('td', {}, when(c.entry.created_at)),
          h('td', {}, c.user_id), h('td', { class: 'num' }, yuan(c.entry.amount_fen)),
          h('td', { class: 'num' }, yuan(c.balance_fen)), h('td', {}, c.entry.reason)))));
    } catch (error) {
      result.append(errorBox(error));
    } finally {
      save.disabled = false;
    }
  });
  root.append(h('h1', {}, '钱包充值'), section('为用户钱包充值', form, result));
}

// Shoppers' feedback (DESIGN.md §7): the queue by status, each with its order and replies; operators and admins
// reply, and may resolve with the reply (the API checks the role again). Shoppers' text is shown as text.
import { api, can } from '../api.js';
import { errorBox, field, h, toast, when } from '../dom.js';
import { FEEDBACK_CATEGORY, FEEDBACK_STATUS, ORDER_STATUS, label } from '../labels.js';
import { pagedTable } from '../list.js';

export async function render(root, [status = 'open']) {
  const state = h('select', { name: 'status' }, h('option', { value: '' }, '全部'),
    Object.keys(FEEDBACK_STATUS).map((value) => h('option', { value }, FEEDBACK_STATUS[value])));
  state.value = status === 'all' ? '' : status;
  const tools = h('form', { class: 'tools', 'data-testid': 'feedback-filter' }, h('label', {}, '状态 ', state),
    h('button', { type: 'submit' }, '查看'));
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['提交时间', '订单', '类别', '内容', '回复', '状态', '处理'],
      load: (cursor) => api('GET', '/admin/v1/feedback', { query: { status: state.value, cursor } }),
      row: feedbackRow, empty: '没有反馈', testid: 'feedback',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  tools.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '售后反馈'), tools), holder);
  await show();
}

function feedbackRow(item) {
  const row = h('tr', { 'data-id': item.id });
  fill(row, item);
  return row;
}

function fill(row, item) {
  const handling = h('td', { 'data-testid': 'handling' });
  row.dataset.status = item.status;
  row.replaceChildren(
    h('td', {}, when(item.created_at)),
    h('td', {}, h('a', { href: `#/orders/${encodeURIComponent(item.order_id)}` }, item.order_id),
      h('div', { class: 'muted' }, `订单状态：${label(ORDER_STATUS, item.order_status)}`)),
    h('td', {}, label(FEEDBACK_CATEGORY, item.category),
      item.error_code ? h('div', { class: 'muted' }, item.error_code) : null),
    h('td', { class: 'feedback-text', 'data-testid': 'feedback-text' }, item.text),
    h('td', { 'data-testid': 'replies' }, item.replies.length ? item.replies.map((reply) =>
      h('div', { class: 'reply' }, reply.text, h('small', { class: 'muted' }, ` ${when(reply.created_at)}`))) : '—'),
    h('td', {}, h('span', { class: item.status === 'open' ? 'tag warn' : 'tag on' }, label(FEEDBACK_STATUS, item.status))),
    handling);
  handling.replaceChildren(can.manage()
    ? h('button', { type: 'button', class: 'secondary', onclick: () => replyForm(row, handling, item) }, '回复')
    : h('span', { class: 'muted' }, '—'));
}

function replyForm(row, cell, item) {
  const text = h('textarea', { name: 'text', maxlength: 1000, rows: 3, required: true, placeholder: '回复内容（用户可见）' });
  const resolve = h('input', { type: 'checkbox', name: 'resolve', checked: item.status === 'open' });
  const problems = h('div');
  const submit = h('button', { type: 'submit' }, '发送回复');
  const form = h('form', { class: 'form', 'data-testid': 'reply-form', novalidate: true }, field('回复', text),
    h('label', {}, resolve, ' 同时标记为已解决'), problems, submit, ' ',
    h('button', { type: 'button', class: 'secondary', onclick: () => fill(row, item) }, '取消'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    if (!text.value.trim()) {
      problems.append(errorBox({ message: '请填写回复内容' }));
      return;
    }
    submit.disabled = true;
    try {
      const answered = await api('POST', `/admin/v1/feedback/${encodeURIComponent(item.id)}/replies`,
        { body: { text: text.value.trim(), resolve: resolve.checked } });
      toast(resolve.checked ? '已回复并标记为已解决' : '已回复');
      fill(row, answered);
    } catch (error) {
      problems.append(errorBox(error));
      submit.disabled = false;
    }
  });
  cell.replaceChildren(form);
  text.focus();
}

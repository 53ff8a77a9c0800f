// Orders (DESIGN.md §6 "Orders"): the list filtered by status and flags, and one order's whole story.
import { api } from '../api.js';
import { h, section, table, when, yuan } from '../dom.js';
import { FLAG, ORDER_STATUS, PAYMENT_METHOD, REFUND_STATUS, label } from '../labels.js';
import { pagedTable } from '../list.js';
import { refundForm } from './refund_form.js';

export async function render(root, [id]) {
  return id ? renderDetail(root, id) : renderList(root);
}

function statusTag(status) {
  return h('span', { class: `status ${String(status).toLowerCase()}`, 'data-status': status }, label(ORDER_STATUS, status));
}

function orderRow(order) {
  return h('tr', { 'data-id': order.id },
    h('td', {}, h('a', { href: `#/orders/${encodeURIComponent(order.id)}` }, order.out_trade_no)),
    h('td', {}, statusTag(order.status)), h('td', { class: 'num' }, yuan(order.payable_fen)),
    h('td', { class: 'num' }, order.refunded_fen ? yuan(order.refunded_fen) : '—'),
    h('td', {}, label(PAYMENT_METHOD, order.payment_method)), h('td', {}, order.user_id),
    h('td', {}, when(order.created_at)),
    h('td', {}, order.flags.map((flag) => h('span', { class: 'tag warn' }, label(FLAG, flag)))));
}

async function renderList(root) {
  const status = h('select', { name: 'status' }, h('option', { value: '' }, '全部状态'),
    Object.entries(ORDER_STATUS).map(([value, title]) => h('option', { value }, title)));
  const flagged = h('select', { name: 'flagged' }, h('option', { value: '' }, '全部'),
    h('option', { value: 'true' }, '有异常标记'), h('option', { value: 'false' }, '无异常标记'));
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['商户订单号', '状态', '应付', '已退', '支付方式', '用户', '下单时间', '标记'],
      load: (cursor) => api('GET', '/admin/v1/orders', { query: { status: status.value, flagged: flagged.value, cursor } }),
      row: orderRow, empty: '没有符合条件的订单', testid: 'orders',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  status.addEventListener('change', show);
  flagged.addEventListener('change', show);
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '订单'),
    h('div', { class: 'tools' }, h('label', {}, '状态 ', status), h('label', {}, '标记 ', flagged))), holder);
  await show();
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function notificationRow(entry) {
  return h('tr', {}, h('td', {}, when(entry.received_at)), h('td', {}, entry.endpoint),
    h('td', {}, entry.event_type || '—'), h('td', {}, entry.verdict), h('td', {}, String(entry.answer?.status ?? '—')),
    h('td', {}, h('details', {}, h('summary', {}, '报文'),
      h('pre', {}, JSON.stringify({ headers: entry.headers, body: entry.body, answer: entry.answer }, null, 2)))));
}

async function renderDetail(root, id) {
  const order = await api('GET', `/admin/v1/orders/${encodeURIComponent(id)}`);
  const notifications = await api('GET', '/admin/v1/notifications', { query: { out_trade_no: order.out_trade_no, limit: 100 } });
  const address = order.address
    ? [order.address.name || order.address.userName, order.address.city || order.address.cityName,
      order.address.detail || order.address.detailInfo].filter(Boolean).join(' ') : '—';
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, `订单 ${order.out_trade_no}`), h('a', { href: '#/orders' }, '返回列表')),
    section('概要', facts([
      ['状态', statusTag(order.status)], ['订单 ID', order.id], ['用户', order.user_id],
      ['商品合计', yuan(order.items_total_fen)], ['优惠', yuan(order.discount_fen)], ['应付', yuan(order.payable_fen)],
      ['已退款', yuan(order.refunded_fen)], ['支付方式', label(PAYMENT_METHOD, order.payment_method)],
      ['微信支付单号', order.transaction_id || '—'], ['下单时间', when(order.created_at)],
      ['支付时间', when(order.paid_at)], ['关闭', order.closed_at ? `${when(order.closed_at)}（${order.close_cause || ''}）` : '—'],
      ['收货地址', address],
    ])),
    section('商品', table(['商品', '品类', '单价', '数量', '小计'], order.lines.map((line) => h('tr', {},
      h('td', {}, line.name), h('td', {}, line.category), h('td', { class: 'num' }, yuan(line.unit_price_fen)),
      h('td', { class: 'num' }, String(line.quantity)), h('td', { class: 'num' }, yuan(line.line_total_fen)))))),
    section('优惠明细', table(['活动', '金额', '说明'], order.discounts.map((d) => h('tr', {}, h('td', {}, d.name),
      h('td', { class: 'num' }, yuan(d.amount_fen)), h('td', {}, d.reason))), { empty: '未使用优惠' })),
    section('状态变化', table(['时间', '从', '到', '原因'], order.transitions.map((t) => h('tr', {}, h('td', {}, when(t.at)),
      h('td', {}, label(ORDER_STATUS, t.from)), h('td', {}, label(ORDER_STATUS, t.to)), h('td', {}, t.cause))),
    { testid: 'transitions' })),
    section('异常标记', table(['时间', '标记', '详情'], order.flags.map((f) => h('tr', {}, h('td', {}, when(f.at)),
      h('td', {}, label(FLAG, f.kind)), h('td', {}, f.detail ? JSON.stringify(f.detail) : '—'))), { empty: '无' })),
    section('支付记录', table(['时间', '渠道', '金额', '交易号'], order.payments.map((p) => h('tr', {},
      h('td', {}, when(p.paid_at)), h('td', {}, p.provider), h('td', { class: 'num' }, yuan(p.amount_fen)),
      h('td', {}, p.transaction_id || '—'))), { empty: '无' })),
    section('退款', table(['时间', '金额', '状态', '原因', '完成时间'], order.refunds.map((r) => h('tr', { 'data-id': r.id },
      h('td', {}, when(r.created_at)), h('td', { class: 'num' }, yuan(r.amount_fen)),
      h('td', { 'data-status': r.status }, label(REFUND_STATUS, r.status)), h('td', {}, r.reason || r.cause || '—'),
      h('td', {}, when(r.finished_at)))), { empty: '无退款', testid: 'refunds' }),
    refundForm(order, () => { root.replaceChildren(); renderDetail(root, id); })),
    section('支付通知', table(['收到时间', '接口', '事件', '结论', '应答', ''], notifications.items.map(notificationRow),
      { empty: '没有收到通知', testid: 'notifications' })),
  );
}

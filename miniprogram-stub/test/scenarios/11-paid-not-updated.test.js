// "我付了钱但订单没变" (DESIGN §7): the order was paid at WeChat Pay but its notification was lost (sandbox fault
// notify_drop), so 订单 still says 待支付; the user files feedback from the order, yijian asks WeChat Pay at once,
// and the feedback page says the order is paid.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ORDERS, atCheckout, toast } = require('../harness/flows')

const FEEDBACK = '/pages/feedback/index'

test('paid but not updated: feedback asks WeChat Pay and shows the order paid', { timeout: 90000 }, async (t) => {
  const { yijian, phone } = await atCheckout(t, { name: '挂耳咖啡', priceFen: 2600 })

  phone.atCashier('cancel') // the cashier closes on this phone; the user pays the order another way
  await phone.tap('.pay-button')
  await toast(phone, '已取消支付，订单已保留')
  const [tap] = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
  const order = tap.answer.order
  const fault = await yijian.fault('notify_drop', 1.0, ['pay_notify'])
  t.after(() => yijian.clearFault(fault.id))
  const prepayId = tap.answer.payment.request_payment.package.replace(/^prepay_id=/, '')
  const paid = await yijian.call('POST', '/sandbox/wechat/control/pay', { body: { prepay_id: prepayId, result: 'SUCCESS' } })
  assert.equal(paid.status, 200, JSON.stringify(paid.body))

  await phone.tapTab('订单')
  const orders = await phone.see(ORDERS, '#pay-' + order.id)
  assert.equal(orders.text('.order-status'), '待支付', 'the lost notification left the order unpaid here')
  await phone.tap('.feedback')
  const page = await phone.see(FEEDBACK, '.submit-feedback')
  assert.ok(page.find('.category-paid_not_updated.selected'), 'from an order without an error: 我付了钱但订单没变')
  await phone.type('.feedback-text', '我已经付款了，订单还是待支付')
  await phone.tap('.submit-feedback')
  const submitted = await phone.until(() => phone.page.find('.feedback-submitted') && phone.page, 'the feedback filed')
  assert.match(submitted.text('.feedback-submitted'), /订单状态：已支付/)

  const [filed] = phone.requestsTo('POST', '/api/v1/orders/' + order.id + '/feedback')
  assert.equal(filed.status, 201)
  assert.deepEqual(filed.data, { category: 'paid_not_updated', text: '我已经付款了，订单还是待支付' })
  assert.equal(filed.answer.order_status, 'PAID')
  const deliveries = await yijian.notifications(order.out_trade_no)
  assert.ok(deliveries.every((d) => d.response === null), 'no notification reached yijian')
  const detail = await yijian.order(order.id)
  assert.equal(detail.status, 'PAID')
  // Settled by asking WeChat Pay: the feedback's query, or the jobs' first query if it came first.
  assert.ok(['feedback_query', 'query'].includes(detail.transitions[detail.transitions.length - 1].cause))
  await phone.until(() => phone.page.find('.feedback-item'), 'the feedback in the history below')
})

// Cancel at WeChat's cashier: the cancel is reported (POST /api/v1/orders/{id}/events), the order stays PAYING
// and payable, and paying it later from 订单 ends on the paid page, with one order.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ORDERS, atCheckout, seePaid, toast } = require('../harness/flows')

test('a cancel at the cashier is reported and the order can still be paid', { timeout: 90000 }, async (t) => {
  const { yijian, phone } = await atCheckout(t, { name: '桂花乌龙', priceFen: 1800 })

  phone.atCashier('cancel')
  await phone.tap('.pay-button')
  await toast(phone, '已取消支付，订单已保留')
  const checkout = phone.page
  assert.ok(checkout.find('.pending'), 'the page says the order is kept')
  assert.match(checkout.text('.pay-button'), /^继续支付 ¥/)
  const [tap] = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
  const orderId = tap.answer.order.id
  const reports = phone.requestsTo('POST', `/api/v1/orders/${orderId}/events`)
  assert.equal(reports.length, 1)
  assert.deepEqual(reports[0].data, { event: 'payment_cancelled' })
  assert.equal(reports[0].status, 204)
  assert.deepEqual((await yijian.ordersOf(phone)).map((o) => o.status), ['PAYING'])

  await phone.tapTab('订单')
  const orders = await phone.see(ORDERS, '#pay-' + orderId)
  assert.equal(orders.text('.order-status'), '待支付')
  await phone.tap('#pay-' + orderId) // 继续支付: the cashier opens again with the same prepay
  const result = await seePaid(phone)
  assert.equal(result.text('.paid-amount'), '¥' + (tap.answer.order.payable_fen / 100).toFixed(2))
  assert.deepEqual(phone.payments.map((p) => p.decision), ['cancel', 'pay'])
  assert.equal(phone.payments[0].params.package, phone.payments[1].params.package, 'the same prepay')
  assert.equal(phone.requestsTo('POST', '/api/v1/checkout/one-tap').length, 1, 'no second order was made')
  assert.deepEqual((await yijian.ordersOf(phone)).map((o) => o.status), ['PAID'])
})

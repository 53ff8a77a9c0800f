// A lost notification (sandbox fault notify_drop): WeChat Pay's notification never reaches yijian, yet the
// result page's polling ends on 支付成功, because the order's GET asks WeChat Pay itself (DESIGN §3 "Orders").
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid } = require('../harness/flows')

test('a payment whose notification is lost still ends on the paid page', { timeout: 90000 }, async (t) => {
  const { yijian, phone } = await atCheckout(t, { name: '玻璃杯', priceFen: 3500 })

  const fault = await yijian.fault('notify_drop', 1.0)
  t.after(() => yijian.clearFault(fault.id))
  await phone.tap('.pay-button')
  const result = await seePaid(phone, 45000)

  const [tap] = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
  const order = tap.answer.order
  assert.equal(result.text('.order-no'), '订单号 ' + order.out_trade_no)
  const deliveries = await yijian.notifications(order.out_trade_no)
  assert.ok(deliveries.length >= 1, 'WeChat Pay tried to notify')
  assert.ok(deliveries.every((d) => d.response === null), 'and every notification was lost on the way')
  const polls = phone.requestsTo('GET', '/api/v1/orders/' + order.id)
  assert.ok(polls.length >= 2, 'the page asked until the order was final')
  assert.equal(polls[polls.length - 1].answer.status, 'PAID')
  const detail = await yijian.order(order.id)
  assert.equal(detail.status, 'PAID')
  assert.ok(['read_query', 'query'].includes(detail.transitions[detail.transitions.length - 1].cause),
    'settled by asking WeChat Pay, not by a notification')
})

// A tap retried after a dropped connection: the server made the order, but its answer was lost on the way back;
// the client sends the same tap again with the same Idempotency-Key and gets the same order (replayed).
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid } = require('../harness/flows')

test('a tap whose answer was lost is retried with its key and makes one order', { timeout: 90000 }, async (t) => {
  const { yijian, phone } = await atCheckout(t, { name: '帆布托特包', priceFen: 3900 })

  phone.dropResponses('POST', '/api/v1/checkout/one-tap', 1)
  await phone.tap('.pay-button')
  const result = await seePaid(phone)

  const taps = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
  assert.equal(taps.length, 2)
  assert.equal(taps[0].dropped, true)
  assert.equal(taps[0].status, 201, 'the server had made the order before the connection dropped')
  assert.equal(taps[0].header['Idempotency-Key'], taps[1].header['Idempotency-Key'])
  assert.equal(taps[1].status, 201)
  assert.equal(taps[1].responseHeader['idempotent-replayed'], 'true')
  assert.equal(taps[1].answer.order.id, taps[0].answer.order.id)
  assert.equal(phone.payments.length, 1)
  assert.equal(result.text('.order-no'), '订单号 ' + taps[0].answer.order.out_trade_no)
  assert.deepEqual((await yijian.ordersOf(phone)).map((o) => o.status), ['PAID'])
  assert.deepEqual(phone.modals(), [], 'the user saw no error')
})

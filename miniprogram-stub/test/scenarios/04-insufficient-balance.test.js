// Insufficient balance: the result page shows the error's message and remedy, and the suggested method is one
// tap away (DESIGN §3 end of "Recommendations": suggested_payment_method {method, reason}).
const test = require('node:test')
const assert = require('node:assert/strict')
const {
  PIN, RESULT, atCheckout, payWith, seePaid, setUpWallet, shopAgain,
} = require('../harness/flows')

async function walletTooLow(t) {
  const { yijian, phone, product } = await atCheckout(t, { name: '手冲壶', priceFen: 9900 })
  await setUpWallet(phone)
  await yijian.credit(phone.session.user.id, 100) // ¥1.00: far below the price
  await shopAgain(phone, product)
  await payWith(phone, 'wallet')
  await phone.type('.pin-input', PIN)
  await phone.tap('.pay-button')
  const result = await phone.see(RESULT, '.result-failed')
  return { yijian, phone, result }
}

test('insufficient balance shows the message and remedy on the result page and makes no order', { timeout: 90000 },
  async (t) => {
    const { yijian, phone, result } = await walletTooLow(t)
    assert.equal(result.text('.failure-message'), '余额不足')
    assert.match(result.text('.failure-remedy'), /微信支付/)
    assert.deepEqual(phone.requestsTo('POST', '/api/v1/checkout/one-tap').map((r) => r.status), [402])
    assert.deepEqual(await yijian.ordersOf(phone), [])
  })

test('insufficient balance switches to the suggested method in one tap',
  { timeout: 90000 },
  async (t) => {
    const { yijian, phone, result } = await walletTooLow(t)
    assert.equal(result.text('.switch-method'), '改用微信支付')
    assert.ok(result.text('.suggested-reason'))
    await phone.tap('.switch-method') // the one tap: back to the same cart with WeChat Pay, paying at once
    const paid = await seePaid(phone)
    const taps = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
    assert.deepEqual(taps.map((r) => [r.status, r.data.payment_method]), [[402, 'wallet'], [201, 'wechatpay']])
    assert.equal(paid.text('.paid-amount'), '¥' + (taps[1].answer.order.payable_fen / 100).toFixed(2))
    assert.equal(phone.payments.length, 1)
    assert.deepEqual((await yijian.ordersOf(phone)).map((o) => [o.status, o.payment_method]), [['PAID', 'wechatpay']])
  })

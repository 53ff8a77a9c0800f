// Price changed between the quote and the tap: the tap sends expected_payable_fen, the server answers
// PRICE_CHANGED with the fresh quote, the page shows the new price, and the next tap pays it.
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid, checkoutReady } = require('../harness/flows')

const yuan = (fen) => '¥' + (fen / 100).toFixed(2)

test('a price changed before the tap shows the new price and the next tap pays it', { timeout: 90000 },
  async (t) => {
    const { yijian, phone, product, checkout } = await atCheckout(t, { name: '拿铁咖啡豆', priceFen: 2000 })
    const oldPayable = checkout.data.payable
    assert.equal(checkout.text('.line-total'), '¥20.00')

    await yijian.setPrice(product.id, 2600) // an operator changes the price while the user looks at the page
    await phone.tap('.pay-button')
    const modal = await phone.until(() => phone.modals().find((m) => m.title === '价格有变动'), 'the price-changed modal')
    assert.equal(modal.content, '请确认新的价格后再下单')
    const updated = await checkoutReady(phone)
    assert.ok(updated.find('.price-changed'), 'the page says the price changed')
    assert.equal(updated.text('.line-total'), '¥26.00')
    const [refused] = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
    assert.equal(refused.status, 409)
    const fresh = refused.answer.error.quote
    assert.equal(updated.text('.payable'), yuan(fresh.payable_fen))
    assert.notEqual(updated.text('.payable'), '¥' + oldPayable)
    assert.equal(updated.text('.pay-button'), '一键支付 ' + yuan(fresh.payable_fen))
    assert.equal(phone.payments.length, 0, 'nothing was charged at the old price')

    await phone.tap('.pay-button') // the person accepts the new price
    const result = await seePaid(phone)
    assert.equal(result.text('.paid-amount'), yuan(fresh.payable_fen))
    const taps = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
    assert.deepEqual(taps.map((r) => r.status), [409, 201])
    assert.equal(taps[1].data.expected_payable_fen, fresh.payable_fen)
    assert.equal((await yijian.ordersOf(phone)).length, 1)
  })

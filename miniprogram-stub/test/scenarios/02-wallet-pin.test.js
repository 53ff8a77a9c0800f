// Wallet with PIN: bind the phone and set the PIN on 我的, get credited, pay from the wallet with the PIN.
const test = require('node:test')
const assert = require('node:assert/strict')
const {
  PIN, atCheckout, payWith, seePaid, setUpWallet, shopAgain, checkoutReady,
} = require('../harness/flows')

test('a wallet payment asks for the PIN, says when it is wrong, and pays with the right one', { timeout: 90000 },
  async (t) => {
    const { yijian, phone, product } = await atCheckout(t, { name: '冷萃咖啡', priceFen: 3000 })
    await setUpWallet(phone)
    assert.equal(phone.page.text('.phone-masked'), '138****8000')
    await yijian.credit(phone.session.user.id, 10000) // an operator tops the wallet up

    await shopAgain(phone, product)
    const checkout = await payWith(phone, 'wallet')
    assert.ok(checkout.find('.pin-input'), 'over the password-free limit the PIN is asked for')
    assert.match(checkout.text('.method-wallet'), /余额 ¥100\.00/)
    const payable = checkout.text('.payable')

    await phone.type('.pin-input', '963852')
    await phone.tap('.pay-button')
    const wrong = await phone.until(() => phone.modals().find((m) => m.title === '支付密码错误'), 'the wrong-PIN modal')
    assert.match(wrong.content, /多次错误将被锁定/)
    await checkoutReady(phone)
    assert.equal(phone.page.data.pin, '', 'the wrong PIN is cleared')

    await phone.type('.pin-input', PIN)
    await phone.tap('.pay-button')
    const result = await seePaid(phone)
    assert.equal(result.text('.paid-amount'), payable)
    assert.match(result.text('.result-paid'), /余额支付/)
    assert.equal(phone.payments.length, 0, 'the wallet needs no cashier')
    const taps = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
    assert.deepEqual(taps.map((tap) => tap.status), [403, 201])
    assert.notEqual(taps[0].header['Idempotency-Key'], taps[1].header['Idempotency-Key'], 'each tap has its key')

    await phone.tapTab('我的')
    const paidFen = taps[1].answer.order.payable_fen
    await phone.until(() => phone.page.find('.wallet-balance') &&
      phone.page.text('.wallet-balance') === '¥' + ((10000 - paidFen) / 100).toFixed(2), 'the balance after paying')
  })

// Password-free small payment (免密支付): the limit set on 我的 with the PIN, then a small wallet payment
// needs no PIN at all.
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid, setUpWallet, shopAgain, toast } = require('../harness/flows')

test('a wallet payment under the password-free limit is one tap without a PIN', { timeout: 90000 }, async (t) => {
  const { yijian, phone, product } = await atCheckout(t, { name: '茉莉花茶', priceFen: 1500 })
  await setUpWallet(phone, { limitYuan: 50 })
  await phone.until(() => phone.page.text('.pin-free-limit').includes('¥50.00'), 'the limit on 我的')
  await phone.tap('.default-wallet') // pay from the wallet by default
  await toast(phone, '已设为默认')
  await yijian.credit(phone.session.user.id, 5000)

  const checkout = await shopAgain(phone, product)
  assert.equal(checkout.data.method, 'wallet', 'the default method is prefilled')
  assert.equal(checkout.find('.pin-input'), null, 'no PIN under the limit')
  const payable = checkout.text('.payable')

  await phone.tap('.pay-button')
  const result = await seePaid(phone)
  assert.equal(result.text('.paid-amount'), payable)
  const [tap] = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
  assert.equal(tap.status, 201)
  assert.equal(tap.data.payment_method, 'wallet')
  assert.equal('wallet_pin' in tap.data, false, 'no PIN was sent')
  assert.ok(tap.answer.order.payable_fen <= 5000)
  assert.deepEqual(phone.modals(), [])
})

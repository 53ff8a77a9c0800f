// The project as WeChat DevTools runs it against a local server (config.sandbox set): DevTools' login code is
// prefixed with the sandbox user, and a stand-in cashier (a modal) pays through the sandbox's control API.
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid } = require('../harness/flows')

test('in DevTools against the sandbox, login and the stand-in cashier work', { timeout: 90000 }, async (t) => {
  const { phone } = await atCheckout(t, { name: '开发者工具测试商品', priceFen: 1000 }, { devtools: true })
  const [login] = phone.requestsTo('POST', '/api/v1/auth/login')
  assert.equal(login.status, 200)
  assert.ok(login.data.code.startsWith(phone.label + ':'), 'the sandbox user prefixes DevTools\' code')

  await phone.tap('.pay-button')
  await seePaid(phone)
  assert.equal(phone.payments.length, 0, 'wx.requestPayment was not used')
  assert.equal(phone.modals()[0].title, '沙箱收银台')
  assert.equal(phone.requestsTo('POST', '/sandbox/wechat/control/pay')[0].status, 200)
})

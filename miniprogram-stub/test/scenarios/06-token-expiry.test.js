// Token expiry mid-flow: on a server whose access tokens live 1 s (plus its 5 s leeway), the tap after a pause
// meets AUTH_TOKEN_EXPIRED; the client refreshes once, silently, and the same tap goes through.
const test = require('node:test')
const assert = require('node:assert/strict')
const { atCheckout, seePaid } = require('../harness/flows')

test('an access token that expired during checkout is refreshed silently and the tap pays', { timeout: 90000 },
  async (t) => {
    const { phone, checkout } = await atCheckout(t, { name: '燕麦拿铁', priceFen: 2800 },
      { which: 'YIJIAN_SHORT_TTL_BASE_URL' })
    const login = phone.requestsTo('POST', '/api/v1/auth/login')[0].answer
    assert.ok(login.expires_in <= 1, 'this server issues short-lived access tokens')

    await new Promise((resolve) => setTimeout(resolve, 7000)) // the person hesitates; the token expires
    const before = phone.requests.length
    await phone.tap('.pay-button')
    const result = await seePaid(phone)
    assert.equal(result.text('.paid-amount'), checkout.text('.payable'))

    const taps = phone.requestsTo('POST', '/api/v1/checkout/one-tap')
    assert.deepEqual(taps.map((r) => r.status), [401, 201])
    assert.equal(taps[0].answer.error.code, 'AUTH_TOKEN_EXPIRED')
    assert.equal(taps[0].header['Idempotency-Key'], taps[1].header['Idempotency-Key'], 'the same tap, retried')
    assert.notEqual(taps[0].header.Authorization, taps[1].header.Authorization, 'retried with the new token')
    // (Under load the setup itself may outlive a token and refresh; what counts is what the tap did.)
    const refreshes = phone.requests.slice(before).filter((r) => r.path === '/api/v1/auth/refresh')
    assert.equal(refreshes.length, 1, 'the tap refreshed once')
    assert.equal(refreshes[0].status, 200)
    assert.equal(phone.requestsTo('POST', '/api/v1/auth/login').length, 1, 'no second login')
    assert.deepEqual(phone.modals(), [], 'nothing was shown to the user')
  })

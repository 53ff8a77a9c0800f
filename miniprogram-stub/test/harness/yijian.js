// What happens around the phone, through yijian's HTTP APIs: an operator changes the catalog or credits a
// wallet, the sandbox misbehaves, and the facts a scenario checks afterwards.
const crypto = require('node:crypto')

class Yijian {
  constructor(baseUrl, operator) {
    this.baseUrl = baseUrl
    this.operator = operator
    this.operatorToken = null
  }

  // Where the harness runs: YIJIAN_BASE_URL, with the operator test/run.js made (or the one given).
  static fromEnv(which = 'YIJIAN_BASE_URL') {
    const baseUrl = process.env[which]
    if (!baseUrl) throw new Error(`${which} is not set: run the scenarios through \`npm test\``)
    return new Yijian(baseUrl.replace(/\/$/, ''),
      { username: process.env.YIJIAN_OPERATOR_USERNAME, password: process.env.YIJIAN_OPERATOR_PASSWORD })
  }

  async call(method, path, { body, headers = {} } = {}) {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: Object.assign({ 'content-type': 'application/json' }, headers),
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers }
  }

  async admin(method, path, body) {
    if (!this.operatorToken) {
      const login = await this.call('POST', '/admin/v1/auth/login', { body: this.operator })
      if (login.status !== 200) throw new Error(`operator login failed: ${JSON.stringify(login.body)}`)
      this.operatorToken = login.body.access_token
    }
    const answer = await this.call(method, path, { body, headers: { Authorization: 'Bearer ' + this.operatorToken } })
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    return answer.body
  }

  // A product of a category of its own, so no category promotion of another scenario prices it.
  createProduct({ name = '测试咖啡豆', priceFen = 2000, stock = 50 } = {}) {
    const tag = crypto.randomBytes(5).toString('hex')
    return this.admin('POST', '/admin/v1/products',
      { sku: 'MP-' + tag, name, price_fen: priceFen, stock, category: '小程序测试-' + tag })
  }

  setPrice(productId, priceFen) {
    return this.admin('PATCH', '/admin/v1/products/' + productId, { price_fen: priceFen })
  }

  credit(userId, amountFen) {
    return this.admin('POST', `/admin/v1/wallets/${userId}/credit`, { amount_fen: amountFen, reason: '小程序测试充值' })
  }

  order(orderId) {
    return this.admin('GET', '/admin/v1/orders/' + orderId)
  }

  async fault(kind, rate = 1.0, apis) {
    const answer = await this.call('POST', '/sandbox/wechat/control/faults',
      { body: Object.assign({ kind, rate }, apis ? { apis } : {}) })
    if (answer.status !== 201) throw new Error(`fault ${kind} refused: ${JSON.stringify(answer.body)}`)
    return answer.body
  }

  async clearFault(faultId) {
    await this.call('DELETE', '/sandbox/wechat/control/faults/' + faultId)
  }

  async notifications(outTradeNo) {
    return (await this.call('GET', '/sandbox/wechat/control/notifications?out_trade_no=' + outTradeNo)).body.items
  }

  // The user's own view, with the token the phone holds.
  async ordersOf(phone) {
    const answer = await this.call('GET', '/api/v1/orders?limit=100',
      { headers: { Authorization: 'Bearer ' + phone.session.access } })
    if (answer.status !== 200) throw new Error(`GET /api/v1/orders answered ${answer.status}`)
    return answer.body.items
  }
}

module.exports = { Yijian }

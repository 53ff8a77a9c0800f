// A phone running the mini-program headlessly: the `wx` the pages call (real HTTP to yijian, the sandbox as
// WeChat's login and cashier), the page stack, and what a person sees and taps.
require('./dom')
const crypto = require('node:crypto')
const path = require('node:path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../..')
const config = require(path.join(ROOT, 'config.js'))
const APP_JSON = require(path.join(ROOT, 'app.json'))
const TAB_ROUTES = APP_JSON.tabBar.list.map((tab) => '/' + tab.pagePath)

// What wx.chooseAddress gives (WeChat's own field names, errMsg included).
const ADDRESS = {
  errMsg: 'chooseAddress:ok',
  userName: '张三',
  postalCode: '510000',
  provinceName: '广东省',
  cityName: '广州市',
  countyName: '天河区',
  detailInfo: '体育西路1号',
  nationalCode: '440106',
  telNumber: '13800138000',
}

let phone = null // the phone whose `wx` the pages are calling now
const sandboxKeys = new Map() // base URL -> the sandbox's keys (to check paySign as WeChat does)

function later(fn) {
  setTimeout(fn, 0)
}

function parseUrl(url) {
  const [route, query = ''] = url.split('?')
  const params = {}
  for (const part of query.split('&').filter(Boolean)) {
    const at = part.indexOf('=')
    // WeChat hands onLoad the query values as they were written (still URI-encoded); pages decode them.
    if (at < 0) params[part] = ''
    else params[part.slice(0, at)] = part.slice(at + 1)
  }
  return { route: route.startsWith('/') ? route : '/' + route, query: params }
}

class Page {
  constructor(route, query, component) {
    this.route = route
    this.query = query
    this.component = component
  }

  get instance() {
    return this.component.instance
  }

  get data() {
    return this.component.data
  }

  find(selector) {
    return this.component.querySelector(selector) || null
  }

  findAll(selector) {
    return this.component.querySelectorAll(selector)
  }

  text(selector) {
    const element = this.find(selector)
    if (!element) throw new Error(`no ${selector} on ${this.route}`)
    return element.dom.textContent.replace(/\s+/g, ' ').trim()
  }

  html() {
    return this.component.dom.outerHTML
  }

  call(lifetime, ...args) {
    const method = this.instance[lifetime]
    return typeof method === 'function' ? method.apply(this.instance, args) : undefined
  }
}

class Phone {
  // devtools: behave like WeChat DevTools against a local sandbox (config.sandbox set): wx.login gives a code the
  // sandbox does not know, and the mini-program pays through its stand-in cashier instead of wx.requestPayment.
  constructor({ baseUrl, label, devtools = false }) {
    this.baseUrl = baseUrl
    this.label = label || 'mp' + crypto.randomBytes(6).toString('hex')
    this.devtools = devtools
    this.storage = new Map()
    this.requests = [] // every wx.request: method, path, header, data, status, answer, dropped
    this.seen = [] // every modal and toast shown: { kind, title, content, ... }
    this.payments = [] // every wx.requestPayment: its parameters and what the cashier did
    this.modalAnswers = [] // how the person answers the next modals (default: confirm)
    this.cashierDecisions = [] // what the person does at the next cashiers: 'pay' (default) or 'cancel'
    this.drops = [] // responses to lose after the server answered: { method, path, times }
    this.errors = [] // pages that failed to load
    this.stack = []
    this.tabs = new Map()
    this.address = Object.assign({}, ADDRESS)
  }

  // -- the person -------------------------------------------------------------------------------------------

  async launch(route = TAB_ROUTES[0]) {
    if (phone && phone !== this) phone.close()
    phone = this
    config.baseUrl = this.baseUrl
    // Otherwise this phone is WeChat itself: sandbox login codes, and the sandbox's cashier behind requestPayment.
    config.sandbox = this.devtools ? { user: this.label } : null
    let app = null
    global.App = (options) => { app = options }
    global.getApp = () => app
    global.getCurrentPages = () => this.stack.map((page) => page.instance)
    const appPath = require.resolve(path.join(ROOT, 'app.js'))
    delete require.cache[appPath]
    require(appPath)
    if (app.onLaunch) app.onLaunch.call(app, { path: route.slice(1), query: {}, scene: 1001 })
    await this.reLaunch(route)
  }

  get page() {
    return this.stack[this.stack.length - 1]
  }

  get session() {
    const kept = this.storage.get('yijian.tokens')
    return kept ? JSON.parse(kept) : null
  }

  async tap(selector) {
    const element = this.page.find(selector)
    if (!element) throw new Error(`nothing to tap at ${selector} on ${this.page.route}:\n${this.page.html()}`)
    element.dispatchEvent('tap')
    await new Promise((resolve) => setTimeout(resolve, 0))
  }

  async type(selector, value) {
    return this.trigger(selector, 'input', { value, cursor: String(value).length })
  }

  async trigger(selector, eventName, detail) {
    const element = this.page.find(selector)
    if (!element) throw new Error(`no ${selector} on ${this.page.route}:\n${this.page.html()}`)
    element.dispatchEvent(eventName, { detail })
    await new Promise((resolve) => setTimeout(resolve, 0))
  }

  // Wait until `check()` gives something truthy (what the person waits to see); fails with the page shown.
  async until(check, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value) return value
      if (Date.now() > deadline) {
        const page = this.page
        throw new Error(`waited ${timeoutMs} ms for ${what}; on ${page && page.route}:\n${page && page.html()}` +
          `\nseen: ${JSON.stringify(this.seen)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  // Wait for `selector` on the page at `route`; answers the page.
  async see(route, selector, timeoutMs) {
    return this.until(() => this.page && this.page.route === route && this.page.find(selector) && this.page,
      `${selector} on ${route}`, timeoutMs)
  }

  // The tab bar: what tapping 首页 / 订单 / 我的 does.
  async tapTab(text) {
    const tab = APP_JSON.tabBar.list.find((t) => t.text === text)
    if (!tab) throw new Error(`no tab ${text}`)
    await this.switchTab('/' + tab.pagePath)
  }

  answerModals(...answers) {
    this.modalAnswers.push(...answers)
  }

  atCashier(...decisions) {
    this.cashierDecisions.push(...decisions)
  }

  // Lose the answer to the next `times` requests like this one after the server has answered them
  // (the connection dropped on the way back): wx.request fails as it does without network.
  dropResponses(method, pathname, times = 1) {
    this.drops.push({ method, path: pathname, times })
  }

  requestsTo(method, pathname) {
    return this.requests.filter((r) => r.method === method && (pathname instanceof RegExp ? pathname.test(r.path) : r.path === pathname))
  }

  modals() {
    return this.seen.filter((s) => s.kind === 'modal')
  }

  toasts() {
    return this.seen.filter((s) => s.kind === 'toast')
  }

  close() {
    for (const page of this.stack.splice(0).reverse()) this.unload(page)
    for (const page of this.tabs.values()) this.unload(page)
    this.tabs.clear()
    if (phone === this) phone = null
  }

  // -- the router (wx.navigateTo & co.) ---------------------------------------------------------------------

  load(url) {
    const { route, query } = parseUrl(url)
    const id = simulate.load(path.join(ROOT, route), { rootPath: ROOT })
    const component = simulate.render(id)
    const parent = document.createElement('parent-wrapper')
    document.body.appendChild(parent)
    component.attach(parent)
    const page = new Page(route, query, component)
    page.call('onLoad', query)
    return page
  }

  unload(page) {
    if (page.unloaded) return
    page.unloaded = true
    page.call('onUnload')
    page.component.detach()
  }

  show(page) {
    page.call('onShow')
    return page
  }

  async navigateTo(url) {
    if (this.page) this.page.call('onHide')
    this.stack.push(this.show(this.load(url)))
  }

  async redirectTo(url) {
    const leaving = this.stack.pop()
    if (leaving) this.unload(leaving)
    this.stack.push(this.show(this.load(url)))
  }

  async navigateBack(delta = 1) {
    for (let i = 0; i < delta && this.stack.length > 1; i += 1) this.unload(this.stack.pop())
    this.show(this.page)
  }

  // Tab pages live on once loaded (onShow again when shown); every other page is closed.
  async switchTab(url) {
    const { route } = parseUrl(url)
    for (const page of this.stack.splice(0).reverse()) {
      if (TAB_ROUTES.includes(page.route)) page.call('onHide')
      else this.unload(page)
    }
    let page = this.tabs.get(route)
    if (!page) {
      page = this.load(url)
      this.tabs.set(route, page)
    }
    this.stack.push(this.show(page))
  }

  async reLaunch(url) {
    for (const page of this.stack.splice(0)) this.unload(page)
    for (const page of this.tabs.values()) this.unload(page)
    this.tabs.clear()
    const { route } = parseUrl(url)
    if (TAB_ROUTES.includes(route)) return this.switchTab(url)
    this.stack.push(this.show(this.load(url)))
  }

  // -- what WeChat does for the pages -----------------------------------------------------------------------

  async http(options) {
    const method = (options.method || 'GET').toUpperCase()
    const url = new URL(options.url)
    const header = Object.assign({}, options.header)
    let body
    if (method !== 'GET' && options.data !== undefined) {
      body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data)
    }
    const record = { method, path: url.pathname, query: url.search, header, data: options.data }
    this.requests.push(record)
    const response = await fetch(url, { method, headers: header, body,
      signal: AbortSignal.timeout(options.timeout || 60000) })
    const text = await response.text()
    let data = text
    try {
      data = text ? JSON.parse(text) : ''
    } catch (error) {
      // not JSON: handed over as text, like wx.request does
    }
    record.status = response.status
    record.answer = data
    record.responseHeader = Object.fromEntries(response.headers)
    const drop = this.drops.find((d) => d.times > 0 && d.method === method && d.path === url.pathname)
    if (drop) {
      drop.times -= 1
      record.dropped = true
      throw new Error('timeout')
    }
    return { statusCode: response.status, data, header: record.responseHeader, errMsg: 'request:ok' }
  }

  async cashier(options) {
    const decision = this.cashierDecisions.shift() || 'pay'
    const entry = { params: options, decision }
    this.payments.push(entry)
    if (options.signType === 'RSA' && !(await this.paySignValid(options))) {
      entry.result = 'bad signature'
      throw new Error('requestPayment:fail 支付验证签名失败')
    }
    const prepayId = String(options.package || '').replace(/^prepay_id=/, '')
    const result = decision === 'cancel' ? 'CANCEL' : 'SUCCESS'
    const response = await fetch(this.baseUrl + '/sandbox/wechat/control/pay', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepay_id: prepayId, result }),
    })
    entry.result = await response.json()
    if (decision === 'cancel') throw new Error('requestPayment:fail cancel')
    if (response.status !== 200) throw new Error('requestPayment:fail ' + (entry.result.message || response.status))
  }

  // APIv3 JSAPI: paySign is SHA256-RSA of "appId\ntimeStamp\nnonceStr\npackage\n" by the merchant's key.
  async paySignValid(options) {
    if (!sandboxKeys.has(this.baseUrl)) {
      const response = await fetch(this.baseUrl + '/sandbox/wechat/control/keys')
      sandboxKeys.set(this.baseUrl, await response.json())
    }
    const keys = sandboxKeys.get(this.baseUrl)
    const message = `${keys.appid}\n${options.timeStamp}\n${options.nonceStr}\n${options.package}\n`
    return crypto.verify('RSA-SHA256', Buffer.from(message), keys.merchant.public_key_pem,
      Buffer.from(String(options.paySign || ''), 'base64'))
  }
}

function active() {
  if (!phone) throw new Error('no phone is running the mini-program')
  return phone
}

function settle(options, promise, api) {
  promise.then(
    (result) => {
      if (options.success) options.success(result)
      if (options.complete) options.complete(result)
    },
    (error) => {
      const failure = { errMsg: String(error && error.message).startsWith(api + ':fail') ? error.message : api + ':fail ' + (error && error.message) }
      if (options.fail) options.fail(failure)
      if (options.complete) options.complete(failure)
    },
  )
}

function navigation(name) {
  return (options) => {
    const it = active()
    settle(options, (async () => {
      try {
        await (name === 'navigateBack' ? it.navigateBack(options.delta || 1) : it[name](options.url))
      } catch (error) {
        it.errors.push(error)
        throw error
      }
      return { errMsg: name + ':ok' }
    })(), name)
  }
}

// The wx the pages call. miniprogram-simulate provides the rest (system info, canIUse, ...).
Object.assign(global.wx, {
  login(options) {
    const it = active()
    const random = crypto.randomBytes(16).toString('hex')
    const code = it.devtools ? random : `${it.label}:${random}` // the sandbox's code form, unless in DevTools
    settle(options, Promise.resolve({ code, errMsg: 'login:ok' }), 'login')
  },

  request(options) {
    settle(options, active().http(options), 'request')
    return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} }
  },

  requestPayment(options) {
    settle(options, active().cashier(options).then(() => ({ errMsg: 'requestPayment:ok' })), 'requestPayment')
  },

  chooseAddress(options) {
    settle(options, Promise.resolve(Object.assign({}, active().address)), 'chooseAddress')
  },

  showModal(options) {
    const it = active()
    it.seen.push({ kind: 'modal', title: options.title, content: options.content, confirmText: options.confirmText,
      showCancel: options.showCancel !== false, route: it.page && it.page.route })
    const answer = it.modalAnswers.shift() || { confirm: true }
    settle(options, Promise.resolve({ confirm: !!answer.confirm, cancel: !answer.confirm, errMsg: 'showModal:ok' }),
      'showModal')
  },

  showToast(options) {
    const it = active()
    it.seen.push({ kind: 'toast', title: options.title, icon: options.icon, route: it.page && it.page.route })
    settle(options, Promise.resolve({ errMsg: 'showToast:ok' }), 'showToast')
  },

  showLoading(options) {
    active().seen.push({ kind: 'loading', title: options.title })
    settle(options, Promise.resolve({ errMsg: 'showLoading:ok' }), 'showLoading')
  },

  hideLoading(options = {}) {
    settle(options, Promise.resolve({ errMsg: 'hideLoading:ok' }), 'hideLoading')
  },

  stopPullDownRefresh(options = {}) {
    settle(options, Promise.resolve({ errMsg: 'stopPullDownRefresh:ok' }), 'stopPullDownRefresh')
  },

  // Storage keeps a copy, as WeChat's does; a missing key reads as ''.
  getStorageSync(key) {
    const it = active()
    return it.storage.has(key) ? JSON.parse(it.storage.get(key)) : ''
  },
  setStorageSync(key, value) {
    active().storage.set(key, JSON.stringify(value))
  },
  removeStorageSync(key) {
    active().storage.delete(key)
  },
  clearStorageSync() {
    active().storage.clear()
  },

  navigateTo: navigation('navigateTo'),
  redirectTo: navigation('redirectTo'),
  navigateBack: navigation('navigateBack'),
  switchTab: navigation('switchTab'),
  reLaunch: navigation('reLaunch'),
})

module.exports = { Phone, ADDRESS }

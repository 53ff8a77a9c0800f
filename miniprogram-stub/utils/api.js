// The one way pages talk to yijian (DESIGN §9): request() over wx.request adds the token, refreshes it once
// when it expired, keeps one Idempotency-Key across the retries of one tap, and shows an error's message and
// remedy, offering an error's suggested payment method as a one-tap switch.
const config = require('../config')

const TOKENS = 'yijian.tokens'
const NETWORK_RETRIES = 2 // a GET or a tap is sent again this many times after a network error
const IN_USE_RETRIES = 5 // IDEMPOTENCY_KEY_IN_USE: the first request with the key is still running
// The session is gone (logged out, revoked, another kind of token): wx.login gives a new one silently.
const SESSION_LOST = ['AUTH_TOKEN_MISSING', 'AUTH_TOKEN_INVALID', 'AUTH_REFRESH_REUSED']
const METHOD_LABELS = { wechatpay: '微信支付', wallet: '余额支付' }

class ApiError extends Error {
  constructor(status, error) {
    super(error.message || '请求失败')
    this.status = status
    this.code = error.code || 'UNKNOWN'
    this.remedy = error.remedy || '请稍后重试'
    this.retryable = !!error.retryable
    this.details = error // the whole error object: fields, quote, attempts_left, help_id, ...
    const suggested = error.suggested_payment_method
    this.suggested = suggested && suggested.method
      ? { method: suggested.method, reason: suggested.reason || '', label: methodLabel(suggested.method) }
      : null
    this.switchTo = null // the method the user chose from the error, if any
  }

  static of(response) {
    const body = response.data && typeof response.data === 'object' ? response.data : {}
    return new ApiError(response.statusCode, body.error || { code: 'HTTP_' + response.statusCode })
  }

  static network(errMsg) {
    return new ApiError(0, {
      code: 'NETWORK_ERROR', message: '网络不给力', remedy: '请检查网络后重试', retryable: true, errMsg,
    })
  }

  toJSON() {
    return { status: this.status, code: this.code, message: this.message, remedy: this.remedy,
      suggested: this.suggested, details: this.details }
  }
}

function methodLabel(method) {
  return METHOD_LABELS[method] || method
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter((key) => query[key] !== undefined && query[key] !== null && query[key] !== '')
    .map((key) => encodeURIComponent(key) + '=' + encodeURIComponent(query[key]))
  return parts.length ? '?' + parts.join('&') : ''
}

// wx.request as a promise: resolves with any HTTP answer, rejects only when no answer came.
function send(method, path, data, header) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + path,
      method,
      data: method === 'GET' ? undefined : data,
      header,
      timeout: config.timeoutMs,
      success: resolve,
      fail: (failure) => reject(ApiError.network(failure && failure.errMsg)),
    })
  })
}

// -- session ---------------------------------------------------------------------------------------------

function session() {
  return wx.getStorageSync(TOKENS) || null
}

function keep(body) {
  const before = session()
  const user = Object.assign({}, before && before.user, body.user)
  wx.setStorageSync(TOKENS, { access: body.access_token, refresh: body.refresh_token, user })
}

// One login and one refresh at a time: two refreshes with one refresh token would look like its theft
// (the server revokes the whole session on reuse).
let loggingIn = null
let refreshing = null

function login() {
  if (!loggingIn) {
    loggingIn = (async () => {
      const code = await new Promise((resolve, reject) => {
        wx.login({ success: (res) => resolve(res.code), fail: (failure) => reject(ApiError.network(failure.errMsg)) })
      })
      // The sandbox logs in `<label>:<anything>` as the user named label (config.js).
      const sent = config.sandbox ? config.sandbox.user + ':' + code : code
      const response = await send('POST', '/api/v1/auth/login', { code: sent }, { 'content-type': 'application/json' })
      if (response.statusCode !== 200) throw ApiError.of(response)
      keep(response.data)
      return session()
    })().finally(() => { loggingIn = null })
  }
  return loggingIn
}

function ensureLogin() {
  return session() ? Promise.resolve(session()) : login()
}

// Refresh the pair the expired access token belonged to; if another request refreshed it meanwhile, use theirs.
function refresh(expiredAccess) {
  const current = session()
  if (current && current.access !== expiredAccess) return Promise.resolve(current)
  if (!refreshing) {
    refreshing = (async () => {
      const response = await send('POST', '/api/v1/auth/refresh', { refresh_token: current && current.refresh },
        { 'content-type': 'application/json' })
      if (response.statusCode === 200) {
        keep(response.data)
        return session()
      }
      return login() // the refresh token is spent or revoked: a silent login starts a new session
    })().finally(() => { refreshing = null })
  }
  return refreshing
}

// -- requests --------------------------------------------------------------------------------------------

// A tap that changes something (one-tap) carries one Idempotency-Key for all its retries.
function newTap() {
  const random = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return { key: Date.now().toString(36) + '-' + random() + random() + random() }
}

// options: { method = 'GET', path, query, data, tap, auth = true, showError = true }.
// Resolves with the answer's body; rejects with an ApiError after showing it (unless showError is false).
async function request(options) {
  const method = (options.method || 'GET').toUpperCase()
  const path = options.path + queryString(options.query)
  const auth = options.auth !== false
  const retriable = method === 'GET' || !!options.tap
  let refreshed = false
  let relogged = false
  let networkFailures = 0
  let inUse = 0
  if (auth) await presenting(ensureLogin(), options)
  for (;;) {
    const header = { 'content-type': 'application/json' }
    const access = auth ? session().access : null
    if (access) header.Authorization = 'Bearer ' + access
    if (options.tap) header['Idempotency-Key'] = options.tap.key
    let response
    try {
      response = await send(method, path, options.data, header)
    } catch (failure) {
      // No answer: the server may have done the work. Only a GET or a keyed tap is safe to send again.
      if (retriable && networkFailures < NETWORK_RETRIES) {
        networkFailures += 1
        await sleep(300 * networkFailures)
        continue
      }
      throw await present(failure, options)
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response.data
    const error = ApiError.of(response)
    if (auth && error.code === 'AUTH_TOKEN_EXPIRED' && !refreshed) {
      refreshed = true
      await presenting(refresh(access), options)
      continue
    }
    if (auth && SESSION_LOST.indexOf(error.code) >= 0 && !relogged) {
      relogged = true
      await presenting(login(), options)
      continue
    }
    if (options.tap && error.code === 'IDEMPOTENCY_KEY_IN_USE' && inUse < IN_USE_RETRIES) {
      inUse += 1
      await sleep(500 * inUse)
      continue
    }
    throw await present(error, options)
  }
}

// A login or refresh that failed is presented like the request's own error.
async function presenting(promise, options) {
  try {
    return await promise
  } catch (failure) {
    throw await present(failure instanceof ApiError ? failure : ApiError.network(String(failure)), options)
  }
}

async function present(error, options) {
  if (options.showError !== false) await showError(error)
  return error
}

// The error's message and remedy in a modal; a suggested payment method is its confirm button, and choosing
// it sets error.switchTo for the page to pay with that method at once.
function showError(error) {
  const suggested = error.suggested
  return new Promise((resolve) => {
    wx.showModal({
      title: error.message,
      content: suggested && suggested.reason ? error.remedy + '\n' + suggested.reason : error.remedy,
      showCancel: !!suggested,
      confirmText: suggested ? suggested.label : '知道了',
      cancelText: '取消',
      success: (choice) => {
        if (suggested && choice.confirm) error.switchTo = suggested.method
        resolve(error)
      },
      fail: () => resolve(error),
    })
  })
}

module.exports = {
  ApiError,
  request,
  showError,
  newTap,
  ensureLogin,
  login,
  session,
  methodLabel,
  queryString,
}

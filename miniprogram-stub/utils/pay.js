// WeChat's cashier and what follows it (DESIGN §9): the server's state, not wx.requestPayment's callback,
// decides what is shown; a cancel at the cashier is reported so statistics can count it.
const api = require('./api')
const config = require('../config')

const PAYMENTS = 'yijian.payments' // request_payment of recent unpaid orders, so "继续支付" can reopen the cashier
const KEEP_PAYMENTS = 20
const POLL_DELAYS_MS = [500, 1000, 1000, 2000, 2000, 3000]
const POLL_LIMIT_MS = 60000

// wx.requestPayment as a promise: 'paid' (the callback says so, still to be confirmed), 'cancelled' or 'failed'.
function requestPayment(params) {
  return new Promise((resolve) => {
    const cashier = config.sandbox ? sandboxCashier : wx.requestPayment
    cashier(Object.assign({}, params, {
      success: () => resolve({ outcome: 'paid' }),
      fail: (failure) => {
        const errMsg = (failure && failure.errMsg) || ''
        resolve({ outcome: /cancel/.test(errMsg) ? 'cancelled' : 'failed', errMsg })
      },
    }))
  })
}

// DevTools against the built-in sandbox (config.js): a modal stands in for WeChat's cashier, and the sandbox's
// control API plays the payment, as WeChat would.
function sandboxCashier(options) {
  wx.showModal({
    title: '沙箱收银台',
    content: '这是本地沙箱的模拟支付，不会产生真实扣款',
    confirmText: '支付',
    cancelText: '取消',
    success: (choice) => {
      wx.request({
        url: config.baseUrl + '/sandbox/wechat/control/pay',
        method: 'POST',
        data: { prepay_id: String(options.package).replace(/^prepay_id=/, ''), result: choice.confirm ? 'SUCCESS' : 'CANCEL' },
        success: (response) => {
          if (!choice.confirm) options.fail({ errMsg: 'requestPayment:fail cancel' })
          else if (response.statusCode === 200) options.success({ errMsg: 'requestPayment:ok' })
          else options.fail({ errMsg: 'requestPayment:fail ' + ((response.data && response.data.message) || '') })
        },
        fail: (failure) => options.fail({ errMsg: 'requestPayment:fail ' + failure.errMsg }),
      })
    },
  })
}

// The user closed the cashier: tell the server (statistics count it as USER_ABANDONED). The order stays payable.
async function reportCancelled(orderId) {
  try {
    await api.request({ method: 'POST', path: '/api/v1/orders/' + orderId + '/events',
      data: { event: 'payment_cancelled' }, showError: false })
  } catch (error) {
    // Only statistics lose the report; the user is not troubled with it.
  }
}

// Ask the server until the order leaves PAYING (its GET asks WeChat Pay itself when a notification is late),
// backing off; gives up after POLL_LIMIT_MS with the order as last seen. stop() ends it early (page unloaded).
async function waitUntilFinal(orderId, { onOrder, stopped } = {}) {
  const started = Date.now()
  let order = null
  for (let attempt = 0; ; attempt += 1) {
    if (stopped && stopped()) return order
    try {
      order = await api.request({ path: '/api/v1/orders/' + orderId, showError: false })
      if (onOrder) onOrder(order)
      if (order.status !== 'PAYING') return order
    } catch (error) {
      if (!error.retryable && error.code !== 'NETWORK_ERROR') throw error
    }
    if (Date.now() - started > POLL_LIMIT_MS) return order
    await new Promise((resolve) => setTimeout(resolve, POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)]))
  }
}

function rememberPayment(orderId, requestPaymentParams) {
  const kept = (wx.getStorageSync(PAYMENTS) || []).filter((entry) => entry.order_id !== orderId)
  kept.unshift({ order_id: orderId, request_payment: requestPaymentParams })
  wx.setStorageSync(PAYMENTS, kept.slice(0, KEEP_PAYMENTS))
}

function recallPayment(orderId) {
  const entry = (wx.getStorageSync(PAYMENTS) || []).find((kept) => kept.order_id === orderId)
  return entry ? entry.request_payment : null
}

function forgetPayment(orderId) {
  wx.setStorageSync(PAYMENTS, (wx.getStorageSync(PAYMENTS) || []).filter((entry) => entry.order_id !== orderId))
}

// Open the cashier for an order; on a cancel, report it and ask the server whether the order is still unpaid.
// Resolves 'cancelled' (the order stays PAYING and payable) or 'done' (show the result page, which waits).
async function payAtCashier(orderId, params) {
  const { outcome } = await requestPayment(params)
  if (outcome !== 'cancelled') return 'done'
  await reportCancelled(orderId)
  try {
    const order = await api.request({ path: '/api/v1/orders/' + orderId, showError: false })
    return order.status === 'PAYING' ? 'cancelled' : 'done'
  } catch (error) {
    return 'cancelled'
  }
}

module.exports = {
  requestPayment, reportCancelled, waitUntilFinal, payAtCashier, rememberPayment, recallPayment, forgetPayment,
}

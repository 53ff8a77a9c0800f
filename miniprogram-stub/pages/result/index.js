// Result: waits for the server to say the order is final (its state decides, not the cashier's callback), or
// shows why the payment failed, with the suggested method one tap away.
const api = require('../../utils/api')
const pay = require('../../utils/pay')
const { yuan, localTime, statusLabel } = require('../../utils/format')

const FAILURE = 'yijian.failure'
const STATES = { PAID: 'paid', PAYING: 'pending', CLOSED: 'closed' } // refunds and the rest: 'other'

function orderView(order) {
  return {
    id: order.id,
    outTradeNo: order.out_trade_no,
    payable: yuan(order.payable_fen),
    method: api.methodLabel(order.payment_method),
    status: statusLabel(order.status),
    paidAt: localTime(order.paid_at),
  }
}

Component({
  data: {
    state: 'checking', // checking | paid | pending | closed | other | failed
    order: null,
    failure: null,
  },

  methods: {
    onLoad(query) {
      if (query.failed) {
        this.showFailure()
        return
      }
      this.orderId = query.order_id
      this.watch()
    },

    onUnload() {
      this.unloaded = true
    },

    showFailure() {
      const kept = wx.getStorageSync(FAILURE) || {}
      const error = kept.error || { message: '支付未完成', remedy: '请返回重试' }
      this.items = kept.items || ''
      this.setData({
        state: 'failed',
        failure: {
          code: error.code,
          message: error.message,
          remedy: error.remedy,
          suggested: error.suggested, // { method, label, reason } when the server suggests another method
        },
      })
    },

    async watch() {
      this.setData({ state: 'checking' })
      let order = null
      try {
        order = await pay.waitUntilFinal(this.orderId, {
          onOrder: (seen) => this.setData({ order: orderView(seen) }),
          stopped: () => this.unloaded,
        })
      } catch (error) {
        await api.showError(error)
      }
      if (this.unloaded || !order) return
      if (order.status !== 'PAYING') pay.forgetPayment(order.id)
      this.setData({ state: STATES[order.status] || 'other', order: orderView(order) })
    },

    onRefresh() {
      this.watch()
    },

    // One tap: back to the same cart with the suggested method, paying at once.
    onSwitchMethod() {
      const suggested = this.data.failure && this.data.failure.suggested
      if (!suggested) return
      wx.redirectTo({
        url: '/pages/checkout/index?items=' + this.items + '&method=' + suggested.method + '&autopay=1',
      })
    },

    onBackToCheckout() {
      wx.redirectTo({ url: '/pages/checkout/index?items=' + this.items })
    },

    onViewOrders() {
      wx.switchTab({ url: '/pages/orders/index' })
    },

    onGoHome() {
      wx.switchTab({ url: '/pages/index/index' })
    },

    onFeedback() {
      wx.navigateTo({ url: '/pages/feedback/index?order_id=' + this.orderId })
    },
  },
})

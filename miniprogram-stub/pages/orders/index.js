// My orders, newest first: an unpaid one can be paid again (the cashier reopens with the same prepay) or
// cancelled; a paid one can be bought again; any can get feedback.
const api = require('../../utils/api')
const pay = require('../../utils/pay')
const { yuan, localTime, statusLabel, encodeItems } = require('../../utils/format')

const REORDERABLE = ['PAID', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CLOSED']

function orderView(order) {
  const paying = order.status === 'PAYING'
  return {
    id: order.id,
    status: order.status,
    statusLabel: statusLabel(order.status),
    summary: order.lines.map((line) => line.name + ' × ' + line.quantity).join('，'),
    payable: yuan(order.payable_fen),
    createdAt: localTime(order.created_at),
    canPay: paying && order.payment_method === 'wechatpay' && !!pay.recallPayment(order.id),
    canCancel: paying,
    canReorder: REORDERABLE.indexOf(order.status) >= 0,
    items: encodeItems(order.lines.map((line) => ({ product_id: line.product_id, quantity: line.quantity }))),
  }
}

Component({
  data: {
    loading: true,
    orders: [],
    nextCursor: null,
  },

  methods: {
    onShow() {
      this.load()
    },

    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },

    onReachBottom() {
      if (this.data.nextCursor) this.load(this.data.nextCursor)
    },

    async load(cursor) {
      this.setData({ loading: !cursor })
      try {
        const page = await api.request({ path: '/api/v1/orders', query: { limit: 20, cursor } })
        const views = page.items.map(orderView)
        this.setData({
          loading: false,
          orders: cursor ? this.data.orders.concat(views) : views,
          nextCursor: page.next_cursor,
        })
      } catch (error) {
        this.setData({ loading: false })
      }
    },

    async onPayAgain(event) {
      const id = event.currentTarget.dataset.id
      const params = pay.recallPayment(id)
      if (!params) return
      const outcome = await pay.payAtCashier(id, params)
      if (outcome === 'cancelled') {
        wx.showToast({ title: '已取消支付，订单已保留', icon: 'none' })
        return
      }
      wx.navigateTo({ url: '/pages/result/index?order_id=' + id })
    },

    onCancel(event) {
      const id = event.currentTarget.dataset.id
      wx.showModal({
        title: '取消订单',
        content: '确定取消这个未支付的订单吗？',
        confirmText: '取消订单',
        cancelText: '再想想',
        success: async (choice) => {
          if (!choice.confirm) return
          try {
            await api.request({ method: 'POST', path: '/api/v1/orders/' + id + '/cancel' })
            pay.forgetPayment(id)
            wx.showToast({ title: '订单已取消', icon: 'none' })
          } catch (error) {
            // shown by api.request
          }
          this.load()
        },
      })
    },

    onReorder(event) {
      wx.navigateTo({ url: '/pages/checkout/index?items=' + event.currentTarget.dataset.items })
    },

    onFeedback(event) {
      wx.navigateTo({ url: '/pages/feedback/index?order_id=' + event.currentTarget.dataset.id })
    },
  },
})

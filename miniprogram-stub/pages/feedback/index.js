// Feedback on an order (DESIGN §7): a category, a text, and the error the user met; operators reply.
// "我付了钱但订单没变" makes the server ask WeChat Pay at once and says what it found.
const api = require('../../utils/api')
const { localTime, statusLabel } = require('../../utils/format')

const CATEGORIES = [
  { name: 'payment_failed', label: '支付失败' },
  { name: 'paid_not_updated', label: '我付了钱但订单没变' },
  { name: 'refund', label: '退款问题' },
  { name: 'delivery', label: '配送问题' },
  { name: 'other', label: '其他' },
]
const MAX_TEXT = 500

function feedbackView(item) {
  return {
    id: item.id,
    category: (CATEGORIES.find((c) => c.name === item.category) || { label: item.category }).label,
    text: item.text,
    status: item.status === 'open' ? '处理中' : '已解决',
    createdAt: localTime(item.created_at),
    replies: (item.replies || []).map((reply) => ({ text: reply.text, at: localTime(reply.created_at || reply.at) })),
  }
}

Component({
  data: {
    orderId: '',
    categories: CATEGORIES,
    category: 'payment_failed',
    text: '',
    textLeft: MAX_TEXT,
    busy: false,
    submitted: null,
    history: [],
  },

  methods: {
    onLoad(query) {
      this.errorCode = query.error_code || null
      this.setData({ orderId: query.order_id || '',
        category: query.category || (this.errorCode ? 'payment_failed' : 'paid_not_updated') })
      this.loadHistory()
    },

    async loadHistory() {
      try {
        const page = await api.request({ path: '/api/v1/feedback', showError: false })
        this.setData({ history: page.items.filter((item) => item.order_id === this.data.orderId).map(feedbackView) })
      } catch (error) {
        // no history to show
      }
    },

    onPickCategory(event) {
      this.setData({ category: event.currentTarget.dataset.name })
    },

    onTextInput(event) {
      const text = event.detail.value
      this.setData({ text, textLeft: MAX_TEXT - text.length })
    },

    async onSubmit() {
      const text = this.data.text.trim()
      if (!text || text.length > MAX_TEXT) {
        wx.showToast({ title: '请填写1到500字的问题描述', icon: 'none' })
        return
      }
      if (this.data.busy) return
      this.setData({ busy: true })
      const data = { category: this.data.category, text }
      if (this.errorCode) data.error_code = this.errorCode
      try {
        const created = await api.request({ method: 'POST',
          path: '/api/v1/orders/' + this.data.orderId + '/feedback', data })
        this.setData({
          submitted: { status: '已提交，客服会尽快回复',
            orderStatus: created.order_status ? statusLabel(created.order_status) : '' },
          text: '', textLeft: MAX_TEXT,
        })
        this.loadHistory()
      } catch (error) {
        // shown by api.request
      }
      this.setData({ busy: false })
    },
  },
})

// Front page: the products, and what the user is likely to buy again (prefill's buy_again, when present).
const api = require('../../utils/api')
const { yuan, encodeItems } = require('../../utils/format')

function productView(product) {
  return Object.assign({}, product, { price: yuan(product.price_fen), soldOut: product.stock <= 0 })
}

Component({
  data: {
    loading: true,
    failed: false,
    products: [],
    buyAgain: [],
  },

  methods: {
    onLoad() {
      this.load()
    },

    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },

    async load() {
      this.setData({ loading: true, failed: false })
      try {
        const [products, prefill] = await Promise.all([
          api.request({ path: '/api/v1/products', query: { limit: 50 } }),
          // buy_again arrives with prefill (or GET /api/v1/recommendations); absent, the section is not shown.
          api.request({ path: '/api/v1/checkout/prefill', showError: false }).catch(() => ({})),
        ])
        this.setData({
          loading: false,
          products: products.items.map(productView),
          buyAgain: (prefill.buy_again || []).map((item) => Object.assign({}, item, { price: yuan(item.price_fen) })),
        })
      } catch (error) {
        this.setData({ loading: false, failed: true })
      }
    },

    onBuy(event) {
      const { id, soldOut } = event.currentTarget.dataset
      if (soldOut) {
        wx.showToast({ title: '已售罄', icon: 'none' })
        return
      }
      wx.navigateTo({ url: '/pages/checkout/index?items=' + encodeItems([{ product_id: id, quantity: 1 }]) })
    },
  },
})

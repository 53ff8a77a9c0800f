// Checkout: everything prefilled in one round trip (address, invoice, method with its reason, offers), the
// priced cart, and one button. Payment errors go to the result page; others are shown where they happen.
const api = require('../../utils/api')
const pay = require('../../utils/pay')
const { yuan, addressText, decodeItems, encodeItems, localTime } = require('../../utils/format')

// Errors about paying with this method: the result page shows them with the suggested method (DESIGN §3).
const PAYMENT_FAILURES = ['PAYMENT_INSUFFICIENT_BALANCE', 'WALLET_PIN_LOCKED', 'PAYMENT_PROVIDER_UNAVAILABLE']
const FAILURE = 'yijian.failure'
const METHODS = ['wechatpay', 'wallet']

function addressView(address) {
  return address && { id: address.id, name: address.name, phone: address.phone, text: addressText(address) }
}

Component({
  data: {
    loading: true,
    address: null,
    invoice: null,
    method: 'wechatpay',
    methodReason: '',
    methods: [],
    wallet: null,
    offers: [],
    lines: [],
    discounts: [],
    itemsTotal: '0.00',
    discountTotal: '0.00',
    hasDiscount: false,
    payable: '0.00',
    needPin: false,
    pinMissing: false,
    pin: '',
    busy: false,
    priceChanged: false,
    pending: null, // the order made and not paid yet (cancelled at the cashier): pay it, do not make another
    payLabel: '一键支付',
  },

  methods: {
    onLoad(query) {
      this.items = decodeItems(query.items)
      this.preferredMethod = query.method || null
      this.load().then(() => {
        // Arriving from a suggested method on the result page: that tap already was the payment.
        if (query.autopay === '1' && this.data.address) this.onPay()
      })
    },

    async load() {
      this.setData({ loading: true })
      try {
        const prefill = await api.request({ path: '/api/v1/checkout/prefill' })
        const prefilled = prefill.payment_method || { method: 'wechatpay', reason: '' }
        const method = this.preferredMethod || prefilled.method
        this.prefilled = prefilled
        this.wallet = prefill.wallet
        this.setData({
          address: addressView(prefill.address),
          invoice: prefill.invoice,
          offers: (prefill.offers || []).map((offer) => Object.assign({}, offer, { text: offer.hint || offer.reason })),
          wallet: prefill.wallet && { balance: yuan(prefill.wallet.balance_fen), pinSet: prefill.wallet.pin_set },
        })
        await this.requote(method)
      } catch (error) {
        // shown by api.request
      }
      this.setData({ loading: false })
    },

    // Price the cart with `method` (promotions may depend on it) and show it.
    async requote(method) {
      const quote = await api.request({
        method: 'POST', path: '/api/v1/checkout/quote',
        data: { items: this.items, payment_method: method, address_id: this.data.address && this.data.address.id },
      })
      this.applyQuote(quote, method)
    },

    applyQuote(quote, method) {
      this.quote = quote
      const wallet = this.wallet || { balance_fen: 0, pin_set: false, pin_free_limit_fen: 0 }
      const onWallet = method === 'wallet'
      const reason = method === this.prefilled.method ? this.prefilled.reason : '您选择的支付方式'
      this.setData({
        method,
        methodReason: reason,
        methods: METHODS.map((name) => ({
          name,
          label: api.methodLabel(name),
          selected: name === method,
          note: name === 'wallet' ? '余额 ¥' + yuan(wallet.balance_fen) : '',
        })),
        lines: quote.lines.map((line) => Object.assign({}, line, {
          unitPrice: yuan(line.unit_price_fen), lineTotal: yuan(line.line_total_fen),
        })),
        discounts: quote.discounts.map((d) => Object.assign({}, d, { amount: yuan(d.amount_fen) })),
        itemsTotal: yuan(quote.items_total_fen),
        discountTotal: yuan(quote.discount_fen),
        hasDiscount: quote.discount_fen > 0,
        payable: yuan(quote.payable_fen),
        needPin: onWallet && wallet.pin_set && quote.payable_fen > wallet.pin_free_limit_fen,
        pinMissing: onWallet && !wallet.pin_set,
        payLabel: (this.data.pending ? '继续支付' : '一键支付') + ' ¥' + yuan(quote.payable_fen),
      })
    },

    async onPickMethod(event) {
      const method = event.currentTarget.dataset.method
      if (this.data.pending || this.data.busy || method === this.data.method) return
      this.setData({ pin: '', priceChanged: false })
      try {
        await this.requote(method)
      } catch (error) {
        // shown by api.request
      }
    },

    onChooseAddress() {
      if (this.data.pending) return
      wx.chooseAddress({
        success: async (chosen) => {
          try {
            // The object wx.chooseAddress gives is sent as it came (DESIGN §3 "Preferences and autofill").
            const saved = await api.request({ method: 'POST', path: '/api/v1/me/addresses', data: chosen })
            this.setData({ address: addressView(saved) })
            await this.requote(this.data.method)
          } catch (error) {
            // shown by api.request
          }
        },
        fail: () => {}, // closed without choosing
      })
    },

    onPinInput(event) {
      this.setData({ pin: event.detail.value })
    },

    onGoSetPin() {
      wx.switchTab({ url: '/pages/me/index' })
    },

    async onPay() {
      if (this.data.busy || this.data.loading) return
      if (this.data.pending) {
        this.setData({ busy: true })
        await this.cashier(this.data.pending.order_id, this.data.pending.request_payment)
        this.setData({ busy: false })
        return
      }
      if (!this.data.address) {
        wx.showToast({ title: '请先选择收货地址', icon: 'none' })
        return
      }
      if (this.data.needPin && !/^\d{6}$/.test(this.data.pin)) {
        wx.showToast({ title: '请输入6位支付密码', icon: 'none' })
        return
      }
      this.setData({ busy: true })
      try {
        await this.placeOrder()
      } finally {
        this.setData({ busy: false })
      }
    },

    async placeOrder() {
      const body = {
        items: this.items,
        payment_method: this.data.method,
        address_id: this.data.address.id,
        expected_payable_fen: this.quote.payable_fen,
      }
      // One key per tap, kept while the outcome of that tap is unknown (no answer, or the first request still
      // running): tapping again on the same cart then cannot make a second order.
      const same = JSON.stringify(body)
      const tap = this.unsettled && this.unsettled.body === same ? this.unsettled.tap : api.newTap()
      this.unsettled = { tap, body: same }
      if (this.data.needPin) body.wallet_pin = this.data.pin
      let created
      try {
        created = await api.request({ method: 'POST', path: '/api/v1/checkout/one-tap', data: body, tap,
          showError: false })
      } catch (error) {
        if (!error.retryable) this.unsettled = null
        await this.failed(error)
        return
      }
      this.unsettled = null
      const { order, payment } = created
      if (payment.method !== 'wechatpay') {
        wx.redirectTo({ url: '/pages/result/index?order_id=' + order.id })
        return
      }
      pay.rememberPayment(order.id, payment.request_payment)
      this.setData({ pending: { order_id: order.id, request_payment: payment.request_payment,
        expires: localTime(order.expires_at) } })
      await this.cashier(order.id, payment.request_payment)
    },

    async cashier(orderId, params) {
      const outcome = await pay.payAtCashier(orderId, params)
      if (outcome === 'cancelled') {
        this.setData({ payLabel: '继续支付 ¥' + this.data.payable })
        wx.showToast({ title: '已取消支付，订单已保留', icon: 'none' })
        return
      }
      wx.redirectTo({ url: '/pages/result/index?order_id=' + orderId })
    },

    async failed(error) {
      this.setData({ pin: '' })
      if (error.code === 'PRICE_CHANGED' && error.details.quote) {
        // The fresh quote came with the error: show the new price; the next tap confirms it.
        this.applyQuote(error.details.quote, this.data.method)
        this.setData({ priceChanged: true })
        await api.showError(error)
        return
      }
      if (PAYMENT_FAILURES.indexOf(error.code) >= 0 || error.suggested) {
        wx.setStorageSync(FAILURE, { error: error.toJSON(), items: encodeItems(this.items) })
        wx.redirectTo({ url: '/pages/result/index?failed=1' })
        return
      }
      await api.showError(error)
      if (error.switchTo) {
        await this.requote(error.switchTo)
        await this.placeOrder()
      }
    },
  },
})

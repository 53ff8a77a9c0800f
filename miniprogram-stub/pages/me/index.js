// Me: addresses (from wx.chooseAddress), the default payment method, the phone, the wallet PIN and the
// password-free limit: everything one-tap fills in for the user.
const api = require('../../utils/api')
const { yuan, addressText } = require('../../utils/format')

const PHONE = 'yijian.phone'
const METHODS = ['wechatpay', 'wallet']

Component({
  data: {
    addresses: [],
    defaultAddressId: null,
    defaultMethod: null,
    methods: METHODS.map((name) => ({ name, label: api.methodLabel(name) })),
    phoneMasked: '',
    hasPhone: false,
    wallet: null,
    currentPin: '',
    newPin: '',
    limitYuan: '',
    limitPin: '',
  },

  methods: {
    onShow() {
      this.load()
    },

    async load() {
      const user = (api.session() || {}).user || {}
      const phoneMasked = wx.getStorageSync(PHONE) || ''
      try {
        const [addresses, preferences, wallet] = await Promise.all([
          api.request({ path: '/api/v1/me/addresses', query: { limit: 20 } }),
          api.request({ path: '/api/v1/me/preferences' }),
          api.request({ path: '/api/v1/wallet' }),
        ])
        this.addresses = addresses.items
        this.setData({
          addresses: addresses.items.map((a) => ({
            id: a.id, name: a.name, phone: a.phone, text: addressText(a),
            isDefault: a.id === preferences.default_address_id,
          })),
          defaultAddressId: preferences.default_address_id,
          defaultMethod: preferences.default_payment_method,
          phoneMasked,
          hasPhone: !!phoneMasked || !!user.has_phone,
          wallet: { balance: yuan(wallet.balance_fen), pinSet: wallet.pin_set,
            pinFreeLimit: yuan(wallet.pin_free_limit_fen), pinFreeLimitFen: wallet.pin_free_limit_fen },
        })
      } catch (error) {
        // shown by api.request
      }
    },

    onAddAddress() {
      wx.chooseAddress({
        success: async (chosen) => {
          try {
            await api.request({ method: 'POST', path: '/api/v1/me/addresses', data: chosen })
            wx.showToast({ title: '地址已保存', icon: 'success' })
          } catch (error) {
            // shown by api.request
          }
          this.load()
        },
        fail: () => {},
      })
    },

    async onSetDefaultAddress(event) {
      const address = this.addresses.find((a) => a.id === event.currentTarget.dataset.id)
      if (!address || address.id === this.data.defaultAddressId) return
      const fields = ['name', 'phone', 'province', 'city', 'district', 'detail', 'postal_code', 'national_code']
      const body = { is_default: true }
      fields.forEach((field) => { if (address[field] !== null && address[field] !== undefined) body[field] = address[field] })
      try {
        await api.request({ method: 'PUT', path: '/api/v1/me/addresses/' + address.id, data: body })
      } catch (error) {
        // shown by api.request
      }
      this.load()
    },

    async onPickDefaultMethod(event) {
      const method = event.currentTarget.dataset.method
      try {
        const preferences = await api.request({ method: 'PATCH', path: '/api/v1/me/preferences',
          data: { default_payment_method: method } })
        this.setData({ defaultMethod: preferences.default_payment_method })
        wx.showToast({ title: '已设为默认', icon: 'success' })
      } catch (error) {
        // shown by api.request
      }
    },

    // <button open-type="getPhoneNumber">: WeChat gives a one-time code; the server exchanges it.
    async onGetPhoneNumber(event) {
      const code = event.detail && event.detail.code
      if (!code) return // the user declined
      try {
        const bound = await api.request({ method: 'POST', path: '/api/v1/me/phone', data: { code } })
        wx.setStorageSync(PHONE, bound.phone_masked)
        this.setData({ phoneMasked: bound.phone_masked, hasPhone: true })
      } catch (error) {
        // shown by api.request
      }
    },

    onCurrentPinInput(event) {
      this.setData({ currentPin: event.detail.value })
    },

    onNewPinInput(event) {
      this.setData({ newPin: event.detail.value })
    },

    async onSavePin() {
      if (!/^\d{6}$/.test(this.data.newPin)) {
        wx.showToast({ title: '支付密码为6位数字', icon: 'none' })
        return
      }
      const data = { pin: this.data.newPin }
      if (this.data.wallet && this.data.wallet.pinSet) data.current_pin = this.data.currentPin
      try {
        await api.request({ method: 'PUT', path: '/api/v1/wallet/pin', data })
        wx.showToast({ title: '支付密码已设置', icon: 'success' })
        this.setData({ newPin: '', currentPin: '' })
      } catch (error) {
        // shown by api.request
      }
      this.load()
    },

    onLimitInput(event) {
      this.setData({ limitYuan: event.detail.value })
    },

    onLimitPinInput(event) {
      this.setData({ limitPin: event.detail.value })
    },

    async onSaveLimit() {
      const limitFen = Math.round(parseFloat(this.data.limitYuan) * 100)
      if (!(limitFen >= 0 && limitFen <= 30000)) {
        wx.showToast({ title: '免密额度为0到300元', icon: 'none' })
        return
      }
      try {
        await api.request({ method: 'PATCH', path: '/api/v1/wallet',
          data: { pin_free_limit_fen: limitFen, pin: this.data.limitPin } })
        wx.showToast({ title: '免密额度已更新', icon: 'success' })
        this.setData({ limitYuan: '', limitPin: '' })
      } catch (error) {
        // shown by api.request
      }
      this.load()
    },
  },
})

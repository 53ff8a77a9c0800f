// What a person does again and again in the scenarios, tap by tap.
const { Phone } = require('./phone')
const { Yijian } = require('./yijian')

const CHECKOUT = '/pages/checkout/index'
const RESULT = '/pages/result/index'
const ME = '/pages/me/index'
const ORDERS = '/pages/orders/index'
const PIN = '258147'

function setUp(which, { devtools = false } = {}) {
  const yijian = Yijian.fromEnv(which)
  return { yijian, phone: new Phone({ baseUrl: yijian.baseUrl, devtools }) }
}

// The checkout page, loaded and priced.
function checkoutReady(phone) {
  return phone.until(() => {
    const page = phone.page
    return page && page.route === CHECKOUT && !page.data.loading && !page.data.busy && page.find('.line') && page
  }, 'the checkout page, priced')
}

// Open the mini-program, find the product on the front page, tap 购买.
async function openCheckout(phone, product) {
  await phone.launch()
  await phone.see('/pages/index/index', '#buy-' + product.id)
  await phone.tap('#buy-' + product.id)
  return checkoutReady(phone)
}

// Tap the address card: wx.chooseAddress, saved as it came, priced again.
async function chooseAddress(phone) {
  await phone.tap('.address')
  await phone.until(() => phone.page.find('.address-name'), 'the chosen address on the checkout page')
  return checkoutReady(phone)
}

async function payWith(phone, method) {
  await phone.tap('.method-' + method)
  await phone.until(() => phone.page.data.method === method && !phone.page.data.busy, 'the method switched to ' + method)
  return checkoutReady(phone)
}

function seePaid(phone, timeoutMs) {
  return phone.see(RESULT, '.result-paid', timeoutMs)
}

function toast(phone, title) {
  return phone.until(() => phone.toasts().find((t) => t.title === title), `the toast "${title}"`)
}

// 我的: bind the phone (WeChat's getPhoneNumber button), set the wallet PIN, and if asked the password-free limit.
async function setUpWallet(phone, { pin = PIN, limitYuan = null } = {}) {
  await phone.tapTab('我的')
  await phone.see(ME, '.wallet')
  await phone.trigger('.bind-phone', 'getphonenumber', { errMsg: 'getPhoneNumber:ok', code: 'phone:13800138000' })
  await phone.until(() => phone.page.find('.phone-masked'), 'the bound phone, masked')
  await phone.type('.new-pin', pin)
  await phone.tap('.save-pin')
  await toast(phone, '支付密码已设置')
  await phone.until(() => phone.page.find('.current-pin'), 'the wallet with its PIN set')
  if (limitYuan !== null) {
    await phone.type('.limit-yuan', String(limitYuan))
    await phone.type('.limit-pin', pin)
    await phone.tap('.save-limit')
    await toast(phone, '免密额度已更新')
  }
}

// Where most scenarios begin: a fresh phone at the priced checkout of a new product, an address chosen.
async function atCheckout(t, productSpec, { which, devtools } = {}) {
  const { yijian, phone } = setUp(which, { devtools })
  t.after(() => phone.close())
  const product = await yijian.createProduct(productSpec)
  await openCheckout(phone, product)
  const checkout = await chooseAddress(phone)
  return { yijian, phone, product, checkout }
}

// Back to the front page and into the checkout of a product (the session is already there).
async function shopAgain(phone, product) {
  await phone.tapTab('首页')
  await phone.see('/pages/index/index', '#buy-' + product.id)
  await phone.tap('#buy-' + product.id)
  return checkoutReady(phone)
}

module.exports = {
  CHECKOUT, RESULT, ME, ORDERS, PIN,
  setUp, atCheckout, checkoutReady, openCheckout, chooseAddress, payWith, seePaid, toast, setUpWallet, shopAgain,
}

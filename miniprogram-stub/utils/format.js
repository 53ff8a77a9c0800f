// Money, times, statuses and addresses as the pages show them. Money is integer fen until this edge.
const STATUS_LABELS = {
  PAYING: '待支付',
  PAID: '已支付',
  CLOSED: '已关闭',
  REFUNDING: '退款中',
  REFUNDED: '已退款',
  PARTIALLY_REFUNDED: '部分退款',
}

function yuan(fen) {
  const value = Number(fen) || 0
  const sign = value < 0 ? '-' : ''
  const abs = Math.abs(value)
  return sign + Math.floor(abs / 100) + '.' + String(abs % 100).padStart(2, '0')
}

function statusLabel(status) {
  return STATUS_LABELS[status] || status
}

// An ISO-8601 UTC time in China's local time (Asia/Shanghai, UTC+8, no daylight saving).
function localTime(iso) {
  if (!iso) return ''
  const date = new Date(new Date(iso).getTime() + 8 * 3600 * 1000)
  const two = (n) => String(n).padStart(2, '0')
  return date.getUTCFullYear() + '-' + two(date.getUTCMonth() + 1) + '-' + two(date.getUTCDate()) + ' ' +
    two(date.getUTCHours()) + ':' + two(date.getUTCMinutes())
}

function addressText(address) {
  if (!address) return ''
  return [address.province, address.city, address.district, address.detail].filter(Boolean).join(' ')
}

// A cart in a page URL: "prd_1:2,prd_2:1" (product id and quantity).
function encodeItems(items) {
  return encodeURIComponent(items.map((item) => item.product_id + ':' + item.quantity).join(','))
}

function decodeItems(text) {
  return decodeURIComponent(text || '').split(',').filter(Boolean).map((part) => {
    const [productId, quantity] = part.split(':')
    return { product_id: productId, quantity: Math.max(1, parseInt(quantity, 10) || 1) }
  })
}

module.exports = { yuan, statusLabel, localTime, addressText, encodeItems, decodeItems }

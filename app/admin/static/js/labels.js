// Chinese names of the API's codes; an unknown code is shown as it is.

export const ORDER_STATUS = {
  PAYING: '待支付', PAID: '已支付', CLOSED: '已关闭', REFUNDING: '退款中', REFUNDED: '已退款',
  PARTIALLY_REFUNDED: '部分退款',
};
export const REFUND_STATUS = { PROCESSING: '处理中', SUCCESS: '成功', FAILED: '失败' };
export const PAYMENT_METHOD = { wechatpay: '微信支付', wallet: '钱包余额' };
export const PROMOTION_KIND = { amount_off: '立减', percent_off: '折扣', threshold: '满减' };
export const FLAG = {
  amount_mismatch: '金额不符', paid_after_close: '关单后支付', refund_mismatch: '退款信息不符',
  refund_abnormal: '退款异常',
};
export const FAILURE_REASON = {
  PAYMENT_INSUFFICIENT_BALANCE: '余额不足', WALLET_PIN_WRONG: '密码错误', WALLET_PIN_LOCKED: '密码锁定',
  PAYMENT_PROVIDER_UNAVAILABLE: '网络/支付通道异常', EXPIRED_UNPAID: '超时未支付', CANCELLED: '已取消',
  USER_ABANDONED: '用户放弃支付',
};
export const RECONCILIATION_KIND = {
  missing_local: '本系统漏单', missing_remote: '账单中没有', amount_mismatch: '金额不符', refund_mismatch: '退款不符',
};
export const RUN_STATUS = { pending: '待对账', running: '对账中', done: '已完成', failed: '失败，稍后重试' };
export const SETTLEMENT = {
  paid: '已补单', paid_after_close: '关单后支付，已退款', duplicate: '已为已支付', flagged: '已标记异常',
  unchanged: '未变更', unknown_order: '本系统无此订单', unavailable: '查询失败，稍后重试',
};

export const FEEDBACK_STATUS = { open: '待处理', resolved: '已解决' };
export const FEEDBACK_CATEGORY = {
  payment_failed: '支付失败', paid_not_updated: '已付款但订单未更新', refund: '退款', delivery: '配送', other: '其他',
};
export const RISK_KIND = {
  velocity: '操作过于频繁', pin_guessing: '支付密码猜测', notify_forgery: '伪造支付通知', amount_mismatch: '金额不符',
  paid_after_close: '关单后支付', refund_anomaly: '退款异常',
};

export function label(names, code) {
  return code === null || code === undefined ? '—' : names[code] || code;
}

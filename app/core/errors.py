"""The one error model: stable codes with Chinese message and remedy, raised by services, rendered in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    message: str
    remedy: str
    message_en: str
    remedy_en: str
    retryable: bool = False


# Every code the API can answer. Codes are never renamed; new ones are added here (DESIGN.md §2).
CATALOG: dict[str, ErrorSpec] = {
    "MALFORMED_JSON": ErrorSpec(400, "请求格式错误", "请检查请求内容后重试", "The body is not valid JSON", "Send a JSON body"),
    "BAD_REQUEST": ErrorSpec(400, "请求无效", "请检查请求后重试", "The request is not valid", "Check the request"),
    "VALIDATION_FAILED": ErrorSpec(422, "填写的信息有误", "请按提示修改后重试", "Some fields are missing or invalid", "Fix the listed fields"),
    "NOT_FOUND": ErrorSpec(404, "内容不存在", "请返回上一页后重试", "Not found", "Check the address"),
    "METHOD_NOT_ALLOWED": ErrorSpec(405, "不支持该操作", "请更新小程序后重试", "Method not allowed", "Use a method the route allows"),
    "PAYLOAD_TOO_LARGE": ErrorSpec(413, "提交的内容过大", "请精简内容后重试", "The body is larger than 1 MiB", "Send a smaller body"),
    "RATE_LIMITED": ErrorSpec(429, "操作太频繁", "请稍后再试", "Too many requests", "Wait for Retry-After seconds", True),
    "INTERNAL_ERROR": ErrorSpec(500, "系统开小差了", "请稍后重试，如仍失败请联系客服", "Unexpected error", "Retry later; quote the request id to support", True),
    "NOT_READY": ErrorSpec(503, "服务暂不可用", "请稍后重试", "A dependency (database or Redis) is unreachable", "Check `checks`", True),
    "AUTH_CODE_INVALID": ErrorSpec(400, "登录已失效", "请重新打开小程序登录", "WeChat refused the login code", "Call wx.login again for a fresh code"),
    "PHONE_CODE_INVALID": ErrorSpec(400, "手机号授权已失效", "请重新点击授权手机号", "WeChat refused the phone-number code", "Ask for getPhoneNumber again"),
    "AUTH_TOKEN_MISSING": ErrorSpec(401, "请先登录", "请重新打开小程序登录", "No access token", "Send Authorization: Bearer <access_token>"),
    "AUTH_TOKEN_INVALID": ErrorSpec(401, "登录状态无效", "请重新登录", "The token is invalid", "Log in again"),
    "AUTH_TOKEN_EXPIRED": ErrorSpec(401, "登录已过期", "请刷新登录状态或重新登录", "The token has expired", "Refresh the session or log in again"),
    "AUTH_REFRESH_REUSED": ErrorSpec(401, "登录状态异常，已为您安全退出", "请重新登录", "A rotated refresh token was reused; the session was revoked", "Log in again"),
    "FORBIDDEN": ErrorSpec(403, "没有权限执行该操作", "请联系管理员开通权限", "Your role does not allow this", "Ask an admin"),
    "OPERATOR_LOGIN_FAILED": ErrorSpec(401, "用户名或密码错误", "请检查后重试", "Wrong username or password", "Check and retry"),
    "OPERATOR_LOCKED": ErrorSpec(429, "登录失败次数过多，账号已临时锁定", "请15分钟后再试", "Too many failed logins; account locked", "Wait for Retry-After seconds", True),
    "WECHAT_UNAVAILABLE": ErrorSpec(503, "微信服务繁忙", "请稍后重试", "WeChat is unavailable", "Retry in a few seconds", True),
    "PAYMENT_PROVIDER_UNAVAILABLE": ErrorSpec(503, "支付服务繁忙", "请稍后重试或更换支付方式", "The payment provider is unavailable", "Retry later or use another method", True),
    "IDEMPOTENCY_KEY_REQUIRED": ErrorSpec(400, "请求缺少幂等键", "请更新小程序后重试", "Idempotency-Key header is required", "Send an Idempotency-Key header"),
    "IDEMPOTENCY_KEY_REUSED": ErrorSpec(422, "重复的请求标识", "请刷新页面后重新下单", "The key was used with another body", "Use a new key for a new request"),
    "IDEMPOTENCY_KEY_IN_USE": ErrorSpec(409, "订单正在处理中", "请稍候片刻再试", "The first request with this key is still running", "Retry shortly", True),
    "PRICE_CHANGED": ErrorSpec(409, "价格有变动", "请确认新的价格后再下单", "The price changed", "Confirm the fresh quote"),
    "OUT_OF_STOCK": ErrorSpec(409, "商品库存不足", "请减少数量或选择其他商品", "Not enough stock", "Reduce the quantity"),
    "PRODUCT_UNAVAILABLE": ErrorSpec(422, "商品已下架或不存在", "请移除该商品后重试", "Unknown or off-sale product", "Remove the product"),
    "ADDRESS_REQUIRED": ErrorSpec(422, "请选择收货地址", "请添加收货地址后再下单", "No address given and no default address", "Add an address"),
    "ONE_TAP_DISABLED": ErrorSpec(409, "您已关闭一键支付", "请在设置中开启一键支付，或使用普通下单", "One-tap is switched off", "Enable one-tap in preferences"),
    "SKU_EXISTS": ErrorSpec(409, "商品编码已存在", "请使用其他商品编码", "The SKU is taken", "Use another SKU"),
    "PAYMENT_METHOD_UNAVAILABLE": ErrorSpec(422, "该支付方式暂不可用", "请选择其他支付方式", "The payment method is not offered", "Choose another method"),
    "PAYMENT_INSUFFICIENT_BALANCE": ErrorSpec(402, "余额不足", "请改用微信支付，或充值后再试", "Wallet balance too low", "Pay with WeChat Pay or top up"),
    "WALLET_PIN_NOT_SET": ErrorSpec(403, "尚未设置支付密码", "请先设置支付密码", "No wallet PIN set", "Set a PIN first"),
    "WALLET_PIN_REQUIRED": ErrorSpec(403, "请输入支付密码", "请输入6位支付密码", "The wallet PIN is required", "Send wallet_pin"),
    "WALLET_PIN_WRONG": ErrorSpec(403, "支付密码错误", "请重新输入，多次错误将被锁定", "Wrong wallet PIN", "Retry with the right PIN"),
    "WALLET_PIN_LOCKED": ErrorSpec(403, "支付密码错误次数过多，钱包已锁定", "请15分钟后再试，或改用微信支付", "Wallet locked after wrong PINs", "Wait or pay with WeChat Pay"),
    "ORDER_NOT_CANCELLABLE": ErrorSpec(409, "订单当前状态不能取消", "已支付订单请申请退款", "The order cannot be cancelled", "Ask for a refund instead"),
    "ORDER_NOT_REFUNDABLE": ErrorSpec(409, "订单当前状态不能退款", "请确认订单已支付", "The order cannot be refunded", "Only paid orders are refundable"),
    "REFUND_EXCEEDS_PAID": ErrorSpec(409, "退款金额超过可退金额", "请调整退款金额", "The refund exceeds the amount left", "Lower the amount"),
    "PHONE_REQUIRED": ErrorSpec(403, "请先绑定手机号", "为保障资金安全，设置支付密码或提高免密额度前请先绑定手机号", "A bound phone number is required", "Bind a phone number (POST /api/v1/me/phone) first"),
    "DIFFERENCE_ALREADY_RESOLVED": ErrorSpec(409, "该对账差异已处理", "请刷新后查看处理记录", "The reconciliation difference is already resolved", "Reload it to see who resolved it and why"),
}


# The help entry of an error code (DESIGN.md §7 `help_id`), if it has one. Help lives above core: app/main.py
# installs its in-memory lookup at start-up; until then no answer carries a help_id.
_help_for: Callable[[str], Optional[str]] = lambda code: None


def install_help_lookup(lookup: Optional[Callable[[str], Optional[str]]]) -> None:
    global _help_for
    _help_for = lookup or (lambda code: None)


class AppError(Exception):
    """An error with a stable code; extra keyword arguments travel inside the `error` object."""

    def __init__(self, code: str, *, message: str | None = None, remedy: str | None = None,
                 headers: dict[str, str] | None = None, **details: Any) -> None:
        spec = CATALOG[code]
        super().__init__(code)
        self.code = code
        self.status = spec.status
        self.message = message or spec.message
        self.remedy = remedy or spec.remedy
        self.retryable = spec.retryable
        self.headers = headers or {}
        self.details = details

    def to_body(self, request_id: str) -> dict[str, Any]:
        spec = CATALOG[self.code]
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "remedy": self.remedy,
            "message_en": spec.message_en,
            "remedy_en": spec.remedy_en,
            "retryable": self.retryable,
            "request_id": request_id,
        }
        help_id = _help_for(self.code)
        if help_id is not None:
            error["help_id"] = help_id
        error.update(self.details)
        return {"error": error}


class NotFound(AppError):
    def __init__(self, **details: Any) -> None:
        super().__init__("NOT_FOUND", **details)


class ValidationFailed(AppError):
    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("VALIDATION_FAILED", fields=fields)

    @classmethod
    def one(cls, field: str, reason: str) -> ValidationFailed:
        return cls([{"field": field, "reason": reason}])


class AuthError(AppError):
    """Anything wrong with a session: missing, invalid, expired or reused token."""


class WeChatError(AppError):
    """WeChat refused or failed a call; `errcode` says which WeChat error it was."""

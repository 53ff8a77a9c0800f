"""Short Chinese texts that explain a promotion to the user ("满100减20", "钱包支付95折", "新用户立减10元")."""

from __future__ import annotations

from app.pricing.domain import PromotionRule
from app.pricing.money import format_yuan

PAYMENT_METHOD_LABELS = {"wechatpay": "微信支付", "wallet": "钱包支付"}


def zhe(percent_off: int) -> str:
    """The 折 figure for a percent off: 5 → "95折", 10 → "9折", 15 → "85折", 95 → "0.5折"."""
    factor = 100 - percent_off
    if factor % 10 == 0:
        return f"{factor // 10}折"
    if factor >= 10:
        return f"{factor}折"
    return f"0.{factor}折"


def _offer_text(rule: PromotionRule) -> str:
    if rule.kind == "percent_off":
        return zhe(rule.percent_off)
    if rule.kind == "threshold":
        return f"满{format_yuan(rule.threshold_fen)}减{format_yuan(rule.amount_off_fen)}"
    return f"立减{format_yuan(rule.amount_off_fen)}元"


def _qualifiers(rule: PromotionRule) -> str:
    parts = []
    if rule.cities:
        parts.append("、".join(rule.cities))
    if rule.hours_from is not None or rule.hours_to is not None:
        parts.append(f"{rule.hours_from or '00:00'}-{rule.hours_to or '24:00'}时段")
    if rule.new_user_only:
        parts.append("新用户")
    if rule.payment_methods:
        parts.append("或".join(PAYMENT_METHOD_LABELS.get(method, method) for method in rule.payment_methods))
    if rule.categories:
        parts.append("、".join(rule.categories) + "类商品")
    return "".join(parts)


def promotion_reason(rule: PromotionRule) -> str:
    """Who or what the rule is for, then what it gives: "广州市新用户钱包支付咖啡类商品满100减20"."""
    return _qualifiers(rule) + _offer_text(rule)


def threshold_hint(shortfall_fen: int, amount_off_fen: int) -> str:
    return f"再买{format_yuan(shortfall_fen)}元可减{format_yuan(amount_off_fen)}元"

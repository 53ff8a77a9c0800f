"""Builders for pricing tests: lines, promotion rules and contexts with sensible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.pricing import CartLine, PricingContext, PromotionRule

# 12:00 in Asia/Shanghai.
NOW = datetime(2025, 6, 1, 4, 0, tzinfo=timezone.utc)
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


def line(product_id: str = "latte", unit_price_fen: int = 1000, quantity: int = 1, category: str = "咖啡") -> CartLine:
    return CartLine(product_id, f"商品{product_id}", category, unit_price_fen, quantity)


def promo(id: str = "p1", kind: str = "amount_off", **overrides) -> PromotionRule:
    fields = dict(
        id=id,
        name=f"活动{id}",
        kind=kind,
        amount_off_fen=None,
        percent_off=None,
        threshold_fen=None,
        priority=0,
        stackable=False,
        created_at=EPOCH,
        per_user_limit=None,
        budget_remaining_fen=None,
    )
    if kind in ("amount_off", "threshold"):
        fields["amount_off_fen"] = 500
    if kind == "percent_off":
        fields["percent_off"] = 10
    if kind == "threshold":
        fields["threshold_fen"] = 1000
    fields.update(overrides)
    return PromotionRule(**fields)


def ctx(
    now: datetime = NOW,
    payment_method: str = "wechatpay",
    city: str | None = "广州市",
    is_new_user: bool = False,
    uses: dict[str, int] | None = None,
) -> PricingContext:
    return PricingContext(now, payment_method, city, is_new_user, uses or {})


def shanghai(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """The UTC instant of that local Asia/Shanghai time on 2025-06-01 (UTC+8, no DST)."""
    return datetime(2025, 6, 1, hour, minute, second, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)

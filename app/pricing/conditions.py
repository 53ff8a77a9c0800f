"""Whether a promotion may be used now, by whom and how: everything that does not depend on the cart."""

from __future__ import annotations

import re
from datetime import datetime

from app.core.clock import CHINA_TZ
from app.pricing.domain import PROMOTION_KINDS, PricingContext, PromotionRule, SkipReason
from app.pricing.money import is_int

_DAY_S = 24 * 3600
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_hhmm(text: str, *, allow_end_of_day: bool = False) -> int:
    """Seconds since local midnight for "HH:MM"; "24:00" is accepted as the end of a window."""
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an HH:MM time: {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_end_of_day and (hours, minutes) == (24, 0):
        return _DAY_S
    if hours > 23 or minutes > 59:
        raise ValueError(f"not an HH:MM time: {text!r}")
    return hours * 3600 + minutes * 60


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def rule_problem(rule: PromotionRule) -> str | None:
    """What makes a rule unusable (the admin API should have refused it), or None."""
    if rule.kind not in PROMOTION_KINDS:
        return f"unknown kind {rule.kind!r}"
    if rule.kind in ("amount_off", "threshold") and not (is_int(rule.amount_off_fen) and rule.amount_off_fen > 0):
        return "amount_off_fen must be a positive integer"
    if rule.kind == "percent_off" and not (is_int(rule.percent_off) and 1 <= rule.percent_off <= 99):
        return "percent_off must be an integer from 1 to 99"
    if rule.kind == "threshold" and not (is_int(rule.threshold_fen) and rule.threshold_fen >= 0):
        return "threshold_fen must be a non-negative integer"
    if not is_int(rule.priority):
        return "priority must be an integer"
    for name in ("per_user_limit", "budget_remaining_fen"):
        value = getattr(rule, name)
        if value is not None and not is_int(value):
            return f"{name} must be an integer or None"
    if not _is_aware(rule.created_at):
        return "created_at must be an aware datetime"
    for name in ("starts_at", "ends_at"):
        value = getattr(rule, name)
        if value is not None and not _is_aware(value):
            return f"{name} must be an aware datetime or None"
    try:
        if rule.hours_from is not None:
            parse_hhmm(rule.hours_from)
        if rule.hours_to is not None:
            parse_hhmm(rule.hours_to, allow_end_of_day=True)
    except ValueError as exc:
        return str(exc)
    return None


def in_window(rule: PromotionRule, now: datetime) -> bool:
    """`starts_at` inclusive, `ends_at` exclusive; a missing bound is open."""
    if rule.starts_at is not None and now < rule.starts_at:
        return False
    return rule.ends_at is None or now < rule.ends_at


def in_hours(rule: PromotionRule, now: datetime) -> bool:
    """Local Asia/Shanghai time of day in [from, to); from ≥ to wraps past midnight (22:00–02:00)."""
    if rule.hours_from is None and rule.hours_to is None:
        return True
    start = parse_hhmm(rule.hours_from) if rule.hours_from is not None else 0
    end = parse_hhmm(rule.hours_to, allow_end_of_day=True) if rule.hours_to is not None else _DAY_S
    local = now.astimezone(CHINA_TZ)
    second = local.hour * 3600 + local.minute * 60 + local.second
    if start < end:
        return start <= second < end
    # Wraps past midnight; from == to therefore reads as the whole day.
    return second >= start or second < end


def uses_left(rule: PromotionRule, ctx: PricingContext) -> bool:
    if rule.per_user_limit is None:
        return True
    return ctx.uses_by_promotion.get(rule.id, 0) < rule.per_user_limit


def unmet_condition(rule: PromotionRule, ctx: PricingContext, *, check_payment_method: bool = True) -> SkipReason | None:
    """The first condition that keeps this user from using the rule now, independent of the cart."""
    if not in_window(rule, ctx.now):
        return SkipReason.OUTSIDE_WINDOW
    if not in_hours(rule, ctx.now):
        return SkipReason.NOT_IN_HOURS
    if check_payment_method and rule.payment_methods and ctx.payment_method not in rule.payment_methods:
        return SkipReason.WRONG_PAYMENT_METHOD
    if rule.cities and (ctx.city is None or ctx.city.strip() not in {city.strip() for city in rule.cities}):
        return SkipReason.CITY
    if rule.new_user_only and not ctx.is_new_user:
        return SkipReason.NEW_USER_ONLY
    if not uses_left(rule, ctx):
        return SkipReason.PER_USER_LIMIT
    return None


def validate_context(ctx: PricingContext) -> None:
    if not _is_aware(ctx.now):
        raise ValueError("PricingContext.now must be an aware datetime")
    for promotion_id, uses in ctx.uses_by_promotion.items():
        if not is_int(uses):
            raise ValueError(f"uses_by_promotion[{promotion_id!r}] must be an integer")

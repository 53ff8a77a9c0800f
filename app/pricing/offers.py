"""The promotions a user could use now, each with a reason, for prefill's "offers" and recommendations."""

from __future__ import annotations

from collections.abc import Sequence

from app.pricing.amounts import assess
from app.pricing.conditions import rule_problem, unmet_condition, validate_context
from app.pricing.domain import CartLine, Offer, PricingContext, PromotionRule, SkipReason
from app.pricing.engine import price_lines
from app.pricing.reasons import promotion_reason, threshold_hint

# With a cart these still make an offer worth showing: buying more (or other things) unlocks them.
_CART_DEPENDENT = {SkipReason.THRESHOLD_NOT_MET, SkipReason.ZERO_DISCOUNT}


def _listing_order(rule: PromotionRule) -> tuple:
    return (-rule.priority, rule.created_at, rule.id)


def candidate_offers(
    promotions: Sequence[PromotionRule],
    ctx: PricingContext,
    lines: Sequence[CartLine] | None = None,
    *,
    any_payment_method: bool = False,
) -> tuple[Offer, ...]:
    """Usable now by this user: window, hours, city, new user, per-user limit, budget left, payment method.

    `any_payment_method=True` also lists offers for another method (a wallet-only 95折 shown to a user paying
    with WeChat Pay). With `lines`, offers none of whose categories are in the cart, or whose budget cannot
    cover what they would take off it, are left out, and each offer says what it gives that cart.
    """
    validate_context(ctx)
    priced = price_lines(lines) if lines is not None else None
    offers: list[Offer] = []
    seen: set[str] = set()
    for rule in sorted((r for r in promotions if rule_problem(r) is None), key=_listing_order):
        if rule.id in seen:
            continue
        seen.add(rule.id)
        if unmet_condition(rule, ctx, check_payment_method=not any_payment_method) is not None:
            continue
        if rule.budget_remaining_fen is not None and rule.budget_remaining_fen <= 0:
            continue
        if priced is None:
            offers.append(Offer(rule.id, rule.name, rule.kind, promotion_reason(rule), bool(rule.stackable)))
            continue
        assessment = assess(rule, priced, ctx, check_payment_method=not any_payment_method)
        if assessment.skip is not None and assessment.skip.reason not in _CART_DEPENDENT:
            continue
        shortfall = assessment.skip.shortfall_fen if assessment.skip is not None else None
        offers.append(
            Offer(
                rule.id,
                rule.name,
                rule.kind,
                promotion_reason(rule),
                bool(rule.stackable),
                discount_fen=0 if assessment.skip is not None else assessment.amount_fen,
                shortfall_fen=shortfall,
                hint=threshold_hint(shortfall, rule.amount_off_fen) if shortfall is not None else None,
            )
        )
    return tuple(offers)

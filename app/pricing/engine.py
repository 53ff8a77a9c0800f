"""The one pricing function used by quote, one-tap and reorder (DESIGN.md §3 "Pricing rules")."""

from __future__ import annotations

from collections.abc import Sequence

from app.pricing.amounts import Assessment, assess
from app.pricing.conditions import validate_context
from app.pricing.domain import (
    CartLine, Discount, PricedLine, PriceResult, PricingContext, PromotionRule, SkipReason, Skipped,
)
from app.pricing.money import require_int
from app.pricing.reasons import promotion_reason


def price_lines(lines: Sequence[CartLine]) -> tuple[PricedLine, ...]:
    """Validated lines with their totals; the HTTP layer validates first, this is defence."""
    if not lines:
        raise ValueError("a cart needs at least one line")
    priced = []
    for index, line in enumerate(lines):
        unit = require_int(line.unit_price_fen, f"lines[{index}].unit_price_fen", minimum=0)
        quantity = require_int(line.quantity, f"lines[{index}].quantity", minimum=1)
        priced.append(PricedLine(line.product_id, line.name, line.category, unit, quantity, unit * quantity))
    return tuple(priced)


def _best_first(candidate: Assessment) -> tuple:
    rule = candidate.rule
    return (-candidate.amount_fen, -rule.priority, rule.created_at, rule.id)


def _application_order(candidate: Assessment) -> tuple:
    rule = candidate.rule
    return (-rule.priority, rule.created_at, rule.id)


def select(candidates: Sequence[Assessment]) -> tuple[list[Assessment], list[Skipped]]:
    """The best single non-stackable, then every stackable by descending priority (older first on a tie)."""
    exclusive = sorted((c for c in candidates if not c.rule.stackable), key=_best_first)
    stackable = sorted((c for c in candidates if c.rule.stackable), key=_application_order)
    beaten = [Skipped(c.rule.id, c.rule.name, SkipReason.NOT_BEST, c.amount_fen) for c in exclusive[1:]]
    return exclusive[:1] + stackable, beaten


def cap_to_payable_floor(chosen: Sequence[Assessment], items_total_fen: int) -> tuple[list[Discount], list[Skipped]]:
    """Give each discount in application order while payable stays ≥ 1: the last ones are cut, never the first."""
    room = max(items_total_fen - 1, 0)
    given, dropped = [], []
    for candidate in chosen:
        rule = candidate.rule
        amount = min(candidate.amount_fen, room)
        if amount == 0:
            dropped.append(Skipped(rule.id, rule.name, SkipReason.PAYABLE_FLOOR, candidate.amount_fen))
            continue
        room -= amount
        given.append(Discount(rule.id, rule.name, amount, promotion_reason(rule), bool(rule.stackable)))
    return given, dropped


def price(lines: Sequence[CartLine], promotions: Sequence[PromotionRule], ctx: PricingContext) -> PriceResult:
    """Price a cart for one user now; `promotions` are the enabled ones. ValueError on malformed lines or context."""
    priced = price_lines(lines)
    validate_context(ctx)
    items_total = sum(line.line_total_fen for line in priced)
    skipped: list[Skipped] = []
    candidates: list[Assessment] = []
    seen: set[str] = set()
    for rule in promotions:
        if rule.id in seen:
            skipped.append(Skipped(rule.id, rule.name, SkipReason.DUPLICATE))
            continue
        seen.add(rule.id)
        assessment = assess(rule, priced, ctx)
        if assessment.skip is not None:
            skipped.append(assessment.skip)
        else:
            candidates.append(assessment)
    chosen, beaten = select(candidates)
    discounts, dropped = cap_to_payable_floor(chosen, items_total)
    discount_fen = sum(discount.amount_fen for discount in discounts)
    return PriceResult(
        lines=priced,
        items_total_fen=items_total,
        discounts=tuple(discounts),
        discount_fen=discount_fen,
        payable_fen=items_total - discount_fen,
        skipped=tuple(skipped + beaten + dropped),
    )

"""What one promotion takes off a cart on its own: the lines it applies to, their subtotal, and the amount."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.pricing.conditions import rule_problem, unmet_condition
from app.pricing.domain import PricedLine, PricingContext, PromotionRule, SkipReason, Skipped


def applicable_lines(rule: PromotionRule, lines: Sequence[PricedLine]) -> tuple[PricedLine, ...]:
    """The lines in the rule's categories; every line when it names none."""
    if not rule.categories:
        return tuple(lines)
    return tuple(line for line in lines if line.category in rule.categories)


def discount_on(rule: PromotionRule, subtotal_fen: int) -> int:
    """DESIGN.md §3 amounts, in integer fen, never more than the subtotal they apply to."""
    if rule.kind == "percent_off":
        amount = subtotal_fen * rule.percent_off // 100
    elif rule.kind == "threshold":
        amount = rule.amount_off_fen if subtotal_fen >= rule.threshold_fen else 0
    else:
        amount = rule.amount_off_fen
    return min(amount, subtotal_fen)


@dataclass(frozen=True)
class Assessment:
    """One rule against one cart: the amount it would give alone, or why it cannot be used."""

    rule: PromotionRule
    amount_fen: int | None
    subtotal_fen: int | None
    skip: Skipped | None


def assess(
    rule: PromotionRule,
    lines: Sequence[PricedLine],
    ctx: PricingContext,
    *,
    check_payment_method: bool = True,
) -> Assessment:
    def skipped(reason: SkipReason, amount: int | None = None, shortfall: int | None = None) -> Assessment:
        return Assessment(rule, amount, subtotal, Skipped(rule.id, rule.name, reason, amount, shortfall))

    subtotal = None
    if rule_problem(rule) is not None:
        return skipped(SkipReason.INVALID_RULE)
    unmet = unmet_condition(rule, ctx, check_payment_method=check_payment_method)
    if unmet is not None:
        return skipped(unmet)
    matching = applicable_lines(rule, lines)
    if not matching:
        return skipped(SkipReason.NO_MATCHING_LINES)
    subtotal = sum(line.line_total_fen for line in matching)
    if rule.kind == "threshold" and subtotal < rule.threshold_fen:
        return skipped(SkipReason.THRESHOLD_NOT_MET, rule.amount_off_fen, rule.threshold_fen - subtotal)
    amount = discount_on(rule, subtotal)
    if amount <= 0:
        return skipped(SkipReason.ZERO_DISCOUNT, 0)
    # Compared with the rule's own amount, before the payable cap, so it never depends on other promotions.
    if rule.budget_remaining_fen is not None and rule.budget_remaining_fen < amount:
        return skipped(SkipReason.BUDGET, amount)
    return Assessment(rule, amount, subtotal, None)

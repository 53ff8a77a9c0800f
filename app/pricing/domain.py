"""The pricing engine's value types: cart lines, promotion rules, the context of a price, and its result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

PROMOTION_KINDS = ("amount_off", "percent_off", "threshold")
MAX_LINES = 50  # lines in one cart: quote, one-tap, and the recommendations' ?items=


class SkipReason(StrEnum):
    """Why a promotion given to the engine was not applied, in the order the engine checks."""

    INVALID_RULE = "invalid_rule"
    DUPLICATE = "duplicate"
    OUTSIDE_WINDOW = "outside_window"
    NOT_IN_HOURS = "not_in_hours"
    WRONG_PAYMENT_METHOD = "wrong_payment_method"
    CITY = "city"
    NEW_USER_ONLY = "new_user_only"
    PER_USER_LIMIT = "per_user_limit"
    NO_MATCHING_LINES = "no_matching_lines"
    THRESHOLD_NOT_MET = "threshold_not_met"
    ZERO_DISCOUNT = "zero_discount"
    BUDGET = "budget"
    NOT_BEST = "not_best"
    PAYABLE_FLOOR = "payable_floor"


@dataclass(frozen=True)
class CartLine:
    product_id: str
    name: str
    category: str
    unit_price_fen: int
    quantity: int


@dataclass(frozen=True)
class PromotionRule:
    id: str
    name: str
    kind: str
    amount_off_fen: int | None
    percent_off: int | None
    threshold_fen: int | None
    priority: int
    stackable: bool
    created_at: datetime
    per_user_limit: int | None
    budget_remaining_fen: int | None
    payment_methods: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    new_user_only: bool = False
    hours_from: str | None = None
    hours_to: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class PricingContext:
    now: datetime
    payment_method: str
    city: str | None
    is_new_user: bool
    uses_by_promotion: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PricedLine:
    product_id: str
    name: str
    category: str
    unit_price_fen: int
    quantity: int
    line_total_fen: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Discount:
    """A discount actually given: `amount_fen` is after the payable-at-least-1 cap, so budgets are charged it."""

    promotion_id: str
    name: str
    amount_fen: int
    reason: str
    stackable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"promotion_id": self.promotion_id, "name": self.name, "amount_fen": self.amount_fen, "reason": self.reason}


@dataclass(frozen=True)
class Skipped:
    """A promotion that was considered and not applied.

    `amount_fen` is the discount it would have given when that is known; `shortfall_fen` is how much more the
    applicable lines need to reach a threshold.
    """

    promotion_id: str
    name: str
    reason: SkipReason
    amount_fen: int | None = None
    shortfall_fen: int | None = None


@dataclass(frozen=True)
class PriceResult:
    lines: tuple[PricedLine, ...]
    items_total_fen: int
    discounts: tuple[Discount, ...]
    discount_fen: int
    payable_fen: int
    skipped: tuple[Skipped, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON for a quote and an order (DESIGN.md §3)."""
        return {
            "lines": [line.to_dict() for line in self.lines],
            "items_total_fen": self.items_total_fen,
            "discounts": [discount.to_dict() for discount in self.discounts],
            "discount_fen": self.discount_fen,
            "payable_fen": self.payable_fen,
        }


@dataclass(frozen=True)
class Offer:
    """A promotion the user can use now, for prefill and recommendations.

    With a cart, `discount_fen` is what it would take off that cart on its own and `shortfall_fen` what a
    threshold still needs (`hint` says it in words: "再买30元可减20元").
    """

    promotion_id: str
    name: str
    kind: str
    reason: str
    stackable: bool
    discount_fen: int | None = None
    shortfall_fen: int | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

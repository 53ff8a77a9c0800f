"""Purchase-history aggregates as plain values, and the pure folds that apply one paid order or one failure to them.

The outbox consumers, the backfill and the offline evaluation all fold through these functions, which is what
makes the incremental aggregates and the rebuilt ones the same.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

from app.core.clock import CHINA_TZ

HALF_LIFE_S = 30 * 24 * 3600.0  # DESIGN §3: a recency-weighted score with a 30-day half-life
RECENT_KEPT = 10  # typical payable: the median of the last 10
PRODUCT, CATEGORY = "product", "category"


@dataclass(frozen=True)
class PaidLine:
    product_id: str
    category: str
    quantity: int
    line_total_fen: int


@dataclass(frozen=True)
class PaidOrder:
    """What the aggregates learn from one paid order (read from the order row, never from the event alone)."""

    order_id: str
    method: str
    payable_fen: int
    paid_at: datetime
    lines: tuple[PaidLine, ...]
    city: Optional[str] = None


@dataclass(frozen=True)
class PaymentFailure:
    method: str
    reason: str
    at: datetime


def decayed(score: float, score_at: Optional[datetime], now: datetime) -> float:
    """A score kept with its reference time, as it stands at `now`: it halves every 30 days, with no rewrite."""
    if score_at is None:
        return 0.0
    return score * 0.5 ** ((now - score_at).total_seconds() / HALF_LIFE_S)


@dataclass
class MethodAggregate:
    method: str
    paid_count: int = 0
    score: float = 0.0
    score_at: Optional[datetime] = None
    last_paid_at: Optional[datetime] = None
    last_failure_code: Optional[str] = None
    last_failure_at: Optional[datetime] = None

    def score_now(self, now: datetime) -> float:
        return decayed(self.score, self.score_at, now)


@dataclass
class ItemAggregate:
    """One product or one category of a user's paid orders; counts are of distinct orders."""

    kind: str
    key: str
    orders_count: int = 0
    quantity: int = 0
    spent_fen: int = 0
    first_bought_at: Optional[datetime] = None
    last_bought_at: Optional[datetime] = None

    def mean_interval(self) -> Optional[timedelta]:
        """The mean gap between consecutive distinct paid orders: (last − first) / (count − 1), whatever order the
        orders were applied in."""
        if self.orders_count < 2 or self.first_bought_at is None or self.last_bought_at is None:
            return None
        return (self.last_bought_at - self.first_bought_at) / (self.orders_count - 1)


@dataclass(frozen=True)
class RecentPayment:
    paid_at: datetime
    order_id: str
    payable_fen: int
    method: str

    def to_json(self) -> dict[str, Any]:
        return {"paid_at": self.paid_at.isoformat(), "order_id": self.order_id, "payable_fen": self.payable_fen,
                "method": self.method}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecentPayment:
        return cls(datetime.fromisoformat(data["paid_at"]), data["order_id"], data["payable_fen"], data["method"])


def empty_histogram() -> list[int]:
    return [0] * 24


@dataclass
class UserAggregate:
    user_id: str
    paid_orders: int = 0
    hour_histogram: list[int] = field(default_factory=empty_histogram)
    recent: list[RecentPayment] = field(default_factory=list)  # oldest first, at most RECENT_KEPT
    last_paid_at: Optional[datetime] = None
    city: Optional[str] = None  # of the latest paid order that had one
    city_at: Optional[datetime] = None

    def typical_payable_fen(self) -> Optional[int]:
        """The median (the lower one of an even count) of the last 10 payables."""
        if not self.recent:
            return None
        return statistics.median_low(payment.payable_fen for payment in self.recent)

    def recent_methods(self) -> list[str]:
        """Methods of the last paid orders, newest first."""
        return [payment.method for payment in reversed(self.recent)]


@dataclass
class History:
    """A user's aggregates, or the part of them a fold needs (missing entries start empty)."""

    user: UserAggregate
    methods: dict[str, MethodAggregate] = field(default_factory=dict)
    items: dict[tuple[str, str], ItemAggregate] = field(default_factory=dict)

    def method(self, method: str) -> MethodAggregate:
        return self.methods.setdefault(method, MethodAggregate(method))

    def item(self, kind: str, key: str) -> ItemAggregate:
        return self.items.setdefault((kind, key), ItemAggregate(kind, key))

    def products(self) -> list[ItemAggregate]:
        return [item for (kind, _), item in self.items.items() if kind == PRODUCT]

    def categories(self) -> list[ItemAggregate]:
        return [item for (kind, _), item in self.items.items() if kind == CATEGORY]


def item_keys(order: PaidOrder) -> list[tuple[str, str]]:
    """The product and category entries one order touches (each once)."""
    products = dict.fromkeys((PRODUCT, line.product_id) for line in order.lines)
    categories = dict.fromkeys((CATEGORY, line.category) for line in order.lines)
    return [*products, *categories]


def _fold_score(aggregate: MethodAggregate, at: datetime) -> None:
    # Orders can arrive out of time order: an older one adds its own decayed unit instead of moving the reference.
    if aggregate.score_at is None or at >= aggregate.score_at:
        aggregate.score = decayed(aggregate.score, aggregate.score_at, at) + 1.0
        aggregate.score_at = at
    else:
        aggregate.score += decayed(1.0, at, aggregate.score_at)


def _later(current: Optional[datetime], candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _earlier(current: Optional[datetime], candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _fold_item(item: ItemAggregate, order: PaidOrder, lines: list[PaidLine]) -> None:
    item.orders_count += 1
    item.quantity += sum(line.quantity for line in lines)
    item.spent_fen += sum(line.line_total_fen for line in lines)
    item.first_bought_at = _earlier(item.first_bought_at, order.paid_at)
    item.last_bought_at = _later(item.last_bought_at, order.paid_at)


def _fold_user(user: UserAggregate, order: PaidOrder) -> None:
    user.paid_orders += 1
    user.hour_histogram[order.paid_at.astimezone(CHINA_TZ).hour] += 1
    recent = [*user.recent, RecentPayment(order.paid_at, order.order_id, order.payable_fen, order.method)]
    recent.sort(key=lambda payment: (payment.paid_at, payment.order_id))
    user.recent = recent[-RECENT_KEPT:]
    user.last_paid_at = _later(user.last_paid_at, order.paid_at)
    if order.city and (user.city_at is None or order.paid_at >= user.city_at):
        user.city, user.city_at = order.city, order.paid_at


def apply_paid(history: History, order: PaidOrder) -> None:
    """Fold one paid order into the aggregates (DESIGN §3 "Signals", order.paid)."""
    _fold_user(history.user, order)
    method = history.method(order.method)
    method.paid_count += 1
    method.last_paid_at = _later(method.last_paid_at, order.paid_at)
    _fold_score(method, order.paid_at)
    for kind, key in item_keys(order):
        lines = [line for line in order.lines if (line.product_id if kind == PRODUCT else line.category) == key]
        _fold_item(history.item(kind, key), order, lines)


def apply_failure(history: History, failure: PaymentFailure) -> None:
    """Keep the latest failure per method; applying one twice, or out of order, gives the same result."""
    method = history.method(failure.method)
    if method.last_failure_at is None or (failure.at, failure.reason) > (method.last_failure_at,
                                                                          method.last_failure_code or ""):
        method.last_failure_code, method.last_failure_at = failure.reason, failure.at

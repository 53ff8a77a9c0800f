"""The figures of DESIGN §6.1: the counters a rollup keeps, and what a report says from their sums (no I/O here).

A day's rollup is a flat map from a counter's name to its count, so that every change is "add these numbers to
that day" and a range is the sum of its days. The names:
- totals: `quotes`, `orders`, `paid`, `gmv_fen`, `refunds_fen`, and `paid_of_created` (of the orders created that
  day, how many are paid by now: pay_rate's numerator, added to the creation day when an order is paid);
- per method: `<method>.attempts`, `<method>.paid`, `<method>.failures.<REASON>`;
- notification latency: `latency.<stage>.<i>`, the count of the i-th bucket of LATENCY_BUCKETS_MS (the last index,
  len(LATENCY_BUCKETS_MS), holds what is beyond the last bound).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Optional

from app.core.clock import CHINA_TZ
from app.core.settings import PAYMENT_METHODS
from app.orders.events import REASONS

QUOTES, ORDERS, PAID, GMV, REFUNDS, PAID_OF_CREATED = (
    "quotes", "orders", "paid", "gmv_fen", "refunds_fen", "paid_of_created")
USER_ABANDONED = "USER_ABANDONED"  # the mini-program reported requestPayment:fail cancel (DESIGN §9)
FAILURE_REASONS = (*REASONS, USER_ABANDONED)
SUCCESS_TO_RECEIVED, RECEIVED_TO_PAID = "success_to_received", "received_to_paid"
LATENCY_STAGES = (SUCCESS_TO_RECEIVED, RECEIVED_TO_PAID)
# Upper bounds (ms) of the latency histogram's buckets; fixed, since every stored day is counted with them.
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 3_600_000)
RATE_DIGITS = 4


def local_day(at: datetime | str) -> date:
    """The Asia/Shanghai calendar day of an instant (an aware datetime or its ISO-8601 text)."""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    return instant.astimezone(CHINA_TZ).date()


def attempts(method: str) -> str:
    return f"{method}.attempts"


def paid_with(method: str) -> str:
    return f"{method}.paid"


def failure(method: str, reason: str) -> str:
    return f"{method}.failures.{reason}"


def latency_bucket(stage: str, milliseconds: float) -> str:
    """The counter of the bucket `milliseconds` falls in (a negative latency, from clocks apart, counts as 0)."""
    value = max(milliseconds, 0)
    index = next((i for i, bound in enumerate(LATENCY_BUCKETS_MS) if value <= bound), len(LATENCY_BUCKETS_MS))
    return f"latency.{stage}.{index}"


def total(rows: Iterable[Mapping[str, int]]) -> Counter:
    summed: Counter = Counter()
    for row in rows:
        summed.update({name: int(count) for name, count in row.items()})
    return summed


def _rate(numerator: int, denominator: int) -> Optional[float]:
    return round(numerator / denominator, RATE_DIGITS) if denominator else None


def percentile(counts: list[int], q: float) -> Optional[int]:
    """The q-quantile of a bucketed histogram, interpolated linearly within its bucket as Prometheus's
    histogram_quantile does (the first bucket starts at 0; one beyond the last bound answers the last bound)."""
    seen = sum(counts)
    if not seen:
        return None
    rank, below = q * seen, 0
    for index, count in enumerate(counts):
        if count and below + count >= rank:
            if index == len(LATENCY_BUCKETS_MS):
                return LATENCY_BUCKETS_MS[-1]
            lower = LATENCY_BUCKETS_MS[index - 1] if index else 0
            upper = LATENCY_BUCKETS_MS[index]
            return round(lower + (upper - lower) * (rank - below) / count)
        below += count
    return LATENCY_BUCKETS_MS[-1]


def _latency(summed: Counter, stage: str) -> dict[str, Optional[int]]:
    counts = [summed.get(f"latency.{stage}.{i}", 0) for i in range(len(LATENCY_BUCKETS_MS) + 1)]
    return {"p50": percentile(counts, 0.5), "p95": percentile(counts, 0.95)}


def methods_of(summed: Counter) -> list[str]:
    """The configured methods, always, then any other method the counters name (one no longer offered, say)."""
    named = {name.split(".", 1)[0] for name in summed if "." in name and not name.startswith("latency.")}
    return [*PAYMENT_METHODS, *sorted(named - set(PAYMENT_METHODS))]


def report(summed: Counter, methods: Optional[list[str]] = None) -> dict[str, Any]:
    """What §6.1 reports from the sum of some days' counters: totals, conversion, by_method (of `methods`, by
    default those of `methods_of`), notify_latency_ms."""
    by_method = {}
    for method in methods or methods_of(summed):
        tried, paid = summed.get(attempts(method), 0), summed.get(paid_with(method), 0)
        by_method[method] = {"attempts": tried, "paid": paid, "success_rate": _rate(paid, tried),
                             "failures": {reason: summed.get(failure(method, reason), 0)
                                          for reason in FAILURE_REASONS}}
    return {
        "totals": {"quotes": summed.get(QUOTES, 0), "orders": summed.get(ORDERS, 0), "paid": summed.get(PAID, 0),
                   "gmv_fen": summed.get(GMV, 0), "refunds_fen": summed.get(REFUNDS, 0),
                   "net_fen": summed.get(GMV, 0) - summed.get(REFUNDS, 0)},
        "conversion": {"order_rate": _rate(summed.get(ORDERS, 0), summed.get(QUOTES, 0)),
                       "pay_rate": _rate(summed.get(PAID_OF_CREATED, 0), summed.get(ORDERS, 0))},
        "by_method": by_method,
        "notify_latency_ms": {stage: _latency(summed, stage) for stage in LATENCY_STAGES},
    }

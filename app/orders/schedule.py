"""When a PAYING WeChat Pay order is next looked at (its `next_query_at`): the prepay's grace, then the active query's
backoff, then its expiry (DESIGN §3, §4; app/orders/jobs.py does the looking)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

# Time for the one-tap that made an order, or a retry after its crash, to get the prepay (the call itself gives
# up after 8 s); after it the order holds its stock for nobody, and the jobs close it.
PREPAY_GRACE_S = 30


def prepay_due_at(created_at: datetime) -> datetime:
    """When an order still waiting for its prepay becomes the jobs' (its `next_query_at` until the prepay comes)."""
    return created_at + timedelta(seconds=PREPAY_GRACE_S)


def next_query_at(created_at: datetime, expires_at: datetime, schedule: tuple[int, ...], attempts: int) -> datetime:
    """When to look at the order after `attempts` queries: the next slot, never later than its expiry."""
    if attempts < len(schedule):
        return min(created_at + timedelta(seconds=schedule[attempts]), expires_at)
    return expires_at


def first_query_at(order: Any, schedule: tuple[int, ...]) -> datetime:
    """The first slot of an order (its `created_at` and `expires_at`) whose prepay was just stored."""
    return next_query_at(order.created_at, order.expires_at, schedule, 0)

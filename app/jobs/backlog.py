"""How far the background jobs are behind (DESIGN.md §6.3): undone outbox events and the age of the oldest due work.

Read from the database when /metrics is scraped, so it tells the truth whichever process runs the jobs (this
one, another worker, or none at all because they died). Five small queries, each on an index: the outbox's
(done_at, id), orders' next_query_at and (status, expires_at), refunds' next_query_at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from app.core import metrics
from app.core.clock import now_utc
from app.jobs import outbox
from app.orders import jobs as order_jobs
from app.refunds import jobs as refund_jobs

log = logging.getLogger("yijian.jobs")


@dataclass(frozen=True)
class Backlog:
    outbox_pending: int
    lag_s: dict[str, float]  # by queue: seconds since the oldest due item fell due, 0 when none is due


async def _oldest(query, field: str, order_by: Optional[str] = None) -> Optional[datetime]:
    found = await query.order_by(order_by or field).limit(1).values_list(field, flat=True)
    return found[0] if found else None


def _age_s(now: datetime, *since: Optional[datetime]) -> float:
    known = [moment for moment in since if moment is not None]
    return max(0.0, (now - min(known)).total_seconds()) if known else 0.0


async def read(now: Optional[datetime] = None) -> Backlog:
    now = now or now_utc()
    # An order is due at its next_query_at, or at its expiry when it never got one (app/orders/jobs.py).
    orders_queried = await _oldest(order_jobs.due(now).filter(next_query_at__not_isnull=True), "next_query_at")
    orders_expired = await _oldest(order_jobs.due(now).filter(next_query_at=None), "expires_at")
    refunds_due = await _oldest(refund_jobs.due(now), "next_query_at")
    outbox_oldest = await _oldest(outbox.undone(), "created_at", order_by="id")  # an event is due once written
    return Backlog(
        outbox_pending=await outbox.undone().count(),
        lag_s={"orders": _age_s(now, orders_queried, orders_expired), "refunds": _age_s(now, refunds_due),
               "outbox": _age_s(now, outbox_oldest)},
    )


async def refresh_metrics() -> None:
    """Set the backlog gauges from the database; NaN when it cannot be read, so no stale figure looks fine."""
    try:
        backlog = await read()
    except Exception as exc:  # the rest of /metrics is still worth answering
        log.warning("job backlog not read for metrics", extra={"fields": {"error": type(exc).__name__}})
        metrics.set_job_backlog(None, None)
        return
    metrics.set_job_backlog(backlog.outbox_pending, backlog.lag_s)

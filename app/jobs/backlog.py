"""How far the background jobs are behind (DESIGN.md §6.3): undone outbox events and the age of the oldest due work.

Read from the database when /metrics is scraped, so it tells the truth whichever process runs the jobs (this
one, another worker, or none at all because they died). Small queries, each on an index: the outbox's (done_at,
id), and each registered kind of due work's own (app/jobs/due.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from app.core import metrics
from app.core.clock import now_utc
from app.jobs import due, outbox

log = logging.getLogger("yijian.jobs")


@dataclass(frozen=True)
class Backlog:
    outbox_pending: int
    lag_s: dict[str, float]  # by queue: seconds since the oldest due item fell due, 0 when none is due


def _age_s(now: datetime, since: Optional[datetime]) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


async def read(now: Optional[datetime] = None) -> Backlog:
    now = now or now_utc()
    lag_s = {work.queue: _age_s(now, await work.oldest_due(now)) for work in due.REGISTERED.values()}
    outbox_oldest = await due.oldest(outbox.undone(), "created_at", order_by="id")  # an event is due once written
    lag_s["outbox"] = _age_s(now, outbox_oldest)
    return Backlog(outbox_pending=await outbox.undone().count(), lag_s=lag_s)


async def refresh_metrics() -> None:
    """Set the backlog gauges from the database; NaN when it cannot be read, so no stale figure looks fine."""
    try:
        backlog = await read()
    except Exception as exc:  # the rest of /metrics is still worth answering
        log.warning("job backlog not read for metrics", extra={"fields": {"error": type(exc).__name__}})
        metrics.set_job_backlog(None, None)
        return
    metrics.set_job_backlog(backlog.outbox_pending, backlog.lag_s)

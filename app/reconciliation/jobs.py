"""The daily reconciliation job: after 10:00 Asia/Shanghai, yesterday's run is due work in the database.

Like the order and refund jobs (docs/jobs.md), the due work is a row: a day's `ReconciliationRun`, due at its
`next_attempt_at`, registered with the sweep as due work (app/jobs/due.py, queue `reconciliation`). The sweep makes
yesterday's row once WeChat publishes its bill (10:00 the next day), claims due rows with a lease
(app/jobs/leases.py) and kicks one task each; a failed run is due again on the backoff
(app/reconciliation/service.py). A day missed while no job ran is not made up for: run it by hand
(`python -m app reconcile --date YYYY-MM-DD`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Optional

from app.core import metrics
from app.core.clock import CHINA_TZ, now_utc
from app.jobs import due as due_work
from app.jobs.leases import Claim, claim
from app.reconciliation import service
from app.reconciliation.models import RUNNING, ReconciliationRun

if TYPE_CHECKING:  # the container is built above this layer; jobs only hand it on
    from app.deps import Deps

log = logging.getLogger("yijian.reconciliation")

BILL_OUT_AT = time(10, 0)  # WeChat Pay: a day's bill is generated from 09:00 the next day, to be fetched after 10:00
_scheduled: set[date] = set()  # days this process has seen scheduled: one insert attempt per day, not per sweep

__all__ = ["latest_due_day", "due_at", "ensure_scheduled", "claim_due", "run_due", "oldest_due", "lag_seconds",
           "refresh_metrics"]


def due_at(day: date) -> datetime:
    """When the day's bill is out: 10:00 Asia/Shanghai the next day, as a UTC instant."""
    return datetime.combine(day + timedelta(days=1), BILL_OUT_AT, CHINA_TZ).astimezone(timezone.utc)


def latest_due_day(now: datetime) -> date:
    """The newest day whose bill is out at `now`: yesterday from 10:00, the day before until then."""
    today = service.china_today(now)
    return today - timedelta(days=1) if now >= due_at(today - timedelta(days=1)) else today - timedelta(days=2)


async def ensure_scheduled(now: datetime) -> None:
    day = latest_due_day(now)
    if day not in _scheduled:
        await service.ensure_run(day, due_at(day))
        _scheduled.add(day)


def due(now: datetime):
    """The runs whose `next_attempt_at` has come: new days, failed ones on their backoff, and ones whose worker
    died once their lease ran out."""
    return ReconciliationRun.filter(next_attempt_at__lte=now)


async def claim_due(now: datetime, limit: int = 10) -> list[Claim]:
    """Schedule the latest day if need be, then claim the due runs, each for one worker only."""
    await ensure_scheduled(now)
    return await claim(due(now), {}, now, lease_s=service.LEASE_S, order_by="next_attempt_at", limit=limit,
                       field="next_attempt_at", also={"status": RUNNING})


async def oldest_due(now: datetime) -> Optional[datetime]:
    return await due_work.oldest(due(now), "next_attempt_at")


async def run_due(deps: Deps, run_id: str, lease_until: datetime) -> str:
    return await service.run_claimed(deps, run_id, lease_until)


async def lag_seconds(now: Optional[datetime] = None) -> float:
    """How long the latest due day has waited for a finished comparison; 0 once it has one."""
    now = now or now_utc()
    day = latest_due_day(now)
    run = await ReconciliationRun.get_or_none(bill_date=day)
    if run is not None and run.compared_at is not None:
        return 0.0
    return max(0.0, (now - due_at(day)).total_seconds())


async def refresh_metrics() -> None:
    """The lag gauge from the database, at scrape time (as the job backlog); NaN when it cannot be read."""
    try:
        metrics.set_reconciliation_lag(await lag_seconds())
    except Exception as exc:  # the rest of /metrics is still worth answering
        log.warning("reconciliation lag not read for metrics", extra={"fields": {"error": type(exc).__name__}})
        metrics.set_reconciliation_lag(None)


due_work.register(due_work.DueWork(queue="reconciliation", task="yijian.due_reconciliation", claim=claim_due,
                                   run=run_due, oldest_due=oldest_due))

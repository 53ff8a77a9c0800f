"""Due work: rows a feature keeps with the time they must next be looked at, registered here for the sweep.

A feature registers its kind of due work once, when its module is imported (app/background.py imports them all):
how to claim the rows due at a time (a lease, app/jobs/leases.py), how to run one claimed row, and when the oldest
due row fell due (the lag gauge). The job engine and the backlog read only this registry, so jobs import no feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from app.jobs.leases import Claim

if TYPE_CHECKING:  # the container is built above this layer; jobs only hand it on
    from app.deps import Deps


@dataclass(frozen=True)
class DueWork:
    queue: str  # `orders`, `refunds`: the label of yijian_jobs_lag_seconds
    task: str  # the taskiq task that runs one claimed row
    claim: Callable[[datetime, int], Awaitable[list[Claim]]]  # (now, limit) → the rows claimed, each with its lease
    run: Callable[[Deps, str, datetime], Awaitable[str]]  # (deps, row id, lease_until) → what happened
    oldest_due: Callable[[datetime], Awaitable[Optional[datetime]]]  # when the oldest row due at `now` fell due


REGISTERED: dict[str, DueWork] = {}


def register(work: DueWork) -> DueWork:
    REGISTERED[work.queue] = work
    return work


async def oldest(query: Any, field: str, order_by: Optional[str] = None) -> Optional[datetime]:
    """The smallest `field` of `query`'s rows (sorted by `order_by`, an index's column), or None."""
    found = await query.order_by(order_by or field).limit(1).values_list(field, flat=True)
    return found[0] if found else None

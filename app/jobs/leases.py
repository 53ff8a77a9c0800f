"""Claiming due rows with a lease: the one primitive behind the jobs' due work (docs/jobs.md, app/jobs/due.py).

A due row's due time (`next_query_at` of orders and refunds, `next_attempt_at` of reconciliation runs) is moved to
`now + lease_s` by a conditional update on the value just read, so of any number of concurrent sweeps exactly one
claims it; the job then acts only while the row still carries that lease, and a job that never finishes leaves the
row due again once the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from tortoise.queryset import QuerySet


@dataclass(frozen=True)
class Claim:
    id: str
    lease_until: datetime


async def claim(due: QuerySet, guard: dict[str, Any], now: datetime, *, lease_s: int, order_by: str,
                limit: int, field: str = "next_query_at", also: Optional[dict[str, Any]] = None) -> list[Claim]:
    """Claim up to `limit` rows of `due` (oldest `order_by` first). `guard` (a status, say) must still hold
    for a row to be claimed. `field` is the row's due time (and then its lease); `also` is set with the lease."""
    rows = await due.order_by(order_by).limit(limit).values_list("id", field)
    lease_until = now + timedelta(seconds=lease_s)
    claims = []
    for row_id, due_at in rows:
        if await due.model.filter(id=row_id, **{field: due_at}, **guard).update(**{field: lease_until}, **(also or {})):
            claims.append(Claim(row_id, lease_until))
    return claims

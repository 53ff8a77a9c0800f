"""Claiming due rows with a lease: the one primitive behind the order and refund jobs (docs/jobs.md).

A due row's `next_query_at` is moved to `now + lease_s` by a conditional update on the value just read, so of
any number of concurrent sweeps exactly one claims it; the job then acts only while the row still carries
that lease, and a job that never finishes leaves the row due again once the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet


@dataclass(frozen=True)
class Claim:
    id: str
    lease_until: datetime


async def claim(due: QuerySet, guard: dict[str, Any], now: datetime, *, lease_s: int, order_by: str,
                limit: int) -> list[Claim]:
    """Claim up to `limit` rows of `due` (oldest `order_by` first). `guard` (a status, say) must still hold
    for a row to be claimed."""
    rows = await due.order_by(order_by).limit(limit).values_list("id", "next_query_at")
    lease_until = now + timedelta(seconds=lease_s)
    claims = []
    for row_id, due_at in rows:
        if await due.model.filter(id=row_id, next_query_at=due_at, **guard).update(next_query_at=lease_until):
            claims.append(Claim(row_id, lease_until))
    return claims

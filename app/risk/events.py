"""Risk events (DESIGN.md §7): recorded by the features that see them, listed for operators.

Features call `record` (risk imports none of them back). An event appears once per kind, subject and 10-minute
window, with a count: the first occurrence inserts the row, later ones add to its count with one conditional
UPDATE, and the unique key settles two first occurrences at once (the loser adds to the winner's row), so a burst
of any size on any number of workers is one row with the right count on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.core import metrics
from app.core.clock import now_utc
from app.core.pagination import newest_first
from app.core.security import new_id
from app.risk.models import (AMOUNT_MISMATCH, KINDS, NOTIFY_FORGERY, PAID_AFTER_CLOSE, PIN_GUESSING, REFUND_ANOMALY,
                             VELOCITY, RiskEvent)

log = logging.getLogger("yijian.risk")

__all__ = ["KINDS", "NOTIFY_FORGERY", "PIN_GUESSING", "VELOCITY", "address", "list_events", "order", "record",
           "record_order_flag", "user"]

WINDOW_S = 600
# Order flags (app/orders, app/refunds) that are risk events, by the kind they are recorded as.
ORDER_FLAGS = {"amount_mismatch": AMOUNT_MISMATCH, "paid_after_close": PAID_AFTER_CLOSE,
               "refund_abnormal": REFUND_ANOMALY, "refund_mismatch": REFUND_ANOMALY}


def user(user_id: str) -> str:
    return f"user:{user_id}"


def order(order_id: str) -> str:
    return f"order:{order_id}"


def address(source: str) -> str:
    return f"ip:{source}"


async def record(kind: str, subject: str, details: dict[str, Any]) -> None:
    """Count one occurrence of `kind` for `subject`. Never raises: a risk event must not fail what it watches."""
    if kind not in KINDS:
        raise ValueError(f"not a risk event kind: {kind!r}")
    metrics.count_risk_event(kind)
    try:
        await _upsert(kind, subject[:80], details)
    except Exception:
        log.exception("risk event not recorded", extra={"fields": {"kind": kind}})


async def record_order_flag(flag: str, order_id: str, details: dict[str, Any]) -> None:
    """An order flag that is a risk event (ORDER_FLAGS) recorded as one; other flags are left alone."""
    kind = ORDER_FLAGS.get(flag)
    if kind is not None:
        await record(kind, order(order_id), {"flag": flag, **details})


async def _upsert(kind: str, subject: str, details: dict[str, Any]) -> None:
    now = now_utc()
    bucket = int(now.timestamp()) // WINDOW_S
    for _ in range(3):
        if await RiskEvent.filter(kind=kind, subject=subject, bucket=bucket).update(count=F("count") + 1,
                                                                                  last_at=now):
            return
        try:
            await RiskEvent.create(id=new_id("rsk"), kind=kind, subject=subject, bucket=bucket, details=details,
                                   at=now, last_at=now)
            return
        except IntegrityError:  # another first occurrence won: add to its row
            continue
    raise RuntimeError("risk event row kept changing")


async def list_events(limit: int, before_id: Optional[str], *, kind: Optional[str] = None) -> list[RiskEvent]:
    """Newest first; up to limit+1 rows for `app.core.http.page`."""
    query = RiskEvent.all() if kind is None else RiskEvent.filter(kind=kind)
    return await newest_first(query, limit, before_id, id_prefix="rsk")

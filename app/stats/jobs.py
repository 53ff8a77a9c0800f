"""The rollups' background work: outbox consumers that add each event to its day once, and the counters' fold.

Each consumer turns an event into counts per Asia/Shanghai day (which day each figure lands on: docs/DECISIONS.md,
"Statistics") and adds them in one transaction with `outbox.first_application`, so an event run twice counts once.
The fold of the Redis counters (app/stats/counters.py) is due work (app/jobs/due.py, queue `stats`): one row,
due every FOLD_S seconds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.jobs import due as due_work, outbox
from app.jobs.leases import Claim, claim
from app.orders.events import ORDER_CREATED, ORDER_PAID, OUTBOX_KINDS, PAYMENT_CANCELLED, PAYMENT_FAILED
from app.orders.models import Order
from app.refunds.events import REFUND_SUCCEEDED
from app.stats import counters, figures, repository
from app.stats.models import StatsFold

if TYPE_CHECKING:  # the container is built above this layer; jobs only hand it on
    from app.deps import Deps

log = logging.getLogger("yijian.stats")

CONSUMER = "stats"
FOLD_ROW = "counters"
FOLD_S = 15  # how stale today's quotes may be (docs/DECISIONS.md, "Statistics")
FOLD_LEASE_S = 120
AUTOMATIC_REFUND = "paid_after_close"  # gives back money never counted in gmv_fen: not in refunds_fen


def _ms(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() * 1000


async def _apply(payload: dict[str, Any], changes: dict[date, dict[str, int]]) -> None:
    async with in_transaction() as connection:
        if await outbox.first_application(connection, CONSUMER, payload):
            await repository.add(connection, changes)


@outbox.handles(ORDER_CREATED)
async def on_order_created(payload: dict[str, Any]) -> None:
    """`orders` and the method's `attempts`, on the day the order was made."""
    await _apply(payload, {figures.local_day(payload["at"]): {
        figures.ORDERS: 1, figures.attempts(payload["payment_method"]): 1}})


def paid_changes(payload: dict[str, Any], order: Order) -> dict[date, dict[str, int]]:
    """`paid`, `gmv_fen` (the order's payable) and the method's `paid` on the day it became PAID; the latency of
    its notification, if one paid it, on that day too; `paid_of_created` on the day the order was made."""
    paid_at = datetime.fromisoformat(payload["at"]) if payload.get("at") else order.paid_at
    changes: dict[date, dict[str, int]] = defaultdict(dict)
    paid_day = changes[figures.local_day(paid_at)]
    paid_day.update({figures.PAID: 1, figures.GMV: order.payable_fen, figures.paid_with(order.payment_method): 1})
    if payload.get("success_time") and payload.get("received_at"):
        received = datetime.fromisoformat(payload["received_at"])
        for stage, milliseconds in ((figures.SUCCESS_TO_RECEIVED,
                                     _ms(received, datetime.fromisoformat(payload["success_time"]))),
                                    (figures.RECEIVED_TO_PAID, _ms(paid_at, received))):
            paid_day[figures.latency_bucket(stage, milliseconds)] = 1
    created = changes[figures.local_day(order.created_at)]
    created[figures.PAID_OF_CREATED] = created.get(figures.PAID_OF_CREATED, 0) + 1
    return dict(changes)


@outbox.handles(ORDER_PAID)
async def on_order_paid(payload: dict[str, Any]) -> None:
    order = await Order.get_or_none(id=payload.get("order_id"))
    if order is None:
        log.warning("order.paid for an unknown order", extra={"fields": {"order_id": payload.get("order_id")}})
        return
    await _apply(payload, paid_changes(payload, order))


@outbox.handles(PAYMENT_FAILED)
async def on_payment_failed(payload: dict[str, Any]) -> None:
    """A failure by reason on its day; one with no order (a wallet one-tap refused for its balance or PIN) was an
    attempt of the method too, which no `order.created` counts."""
    method = payload["payment_method"]
    counts = {figures.failure(method, payload["reason"]): 1}
    if payload.get("order_id") is None:
        counts[figures.attempts(method)] = 1
    await _apply(payload, {figures.local_day(payload["at"]): counts})


@outbox.handles(OUTBOX_KINDS[PAYMENT_CANCELLED])
async def on_payment_cancelled(payload: dict[str, Any]) -> None:
    """The user left WeChat's cashier (DESIGN §9): USER_ABANDONED of the order's method."""
    await _apply(payload, {figures.local_day(payload["at"]): {
        figures.failure(payload["payment_method"], figures.USER_ABANDONED): 1}})


@outbox.handles(REFUND_SUCCEEDED)
async def on_refund_succeeded(payload: dict[str, Any]) -> None:
    if payload.get("cause") == AUTOMATIC_REFUND:
        return
    await _apply(payload, {figures.local_day(payload["at"]): {figures.REFUNDS: payload["amount_fen"]}})


# -- the counters' fold, as due work ----------------------------------------------------------------------------

_scheduled = False  # this process has seen the fold's row exist


async def _ensure_row(now: datetime) -> None:
    global _scheduled
    if _scheduled:
        return
    if not await StatsFold.exists(id=FOLD_ROW):
        try:
            await StatsFold.create(id=FOLD_ROW, next_fold_at=now)
        except IntegrityError:
            pass  # another process made it
    _scheduled = True


def _due(now: datetime):
    return StatsFold.filter(next_fold_at__lte=now)


async def claim_due(now: datetime, limit: int = 1) -> list[Claim]:
    await _ensure_row(now)
    return await claim(_due(now), {}, now, lease_s=FOLD_LEASE_S, order_by="next_fold_at", limit=limit,
                       field="next_fold_at")


async def run_due(deps: Deps, row_id: str, lease_until: datetime) -> str:
    applied = await counters.fold(deps.redis)
    now = now_utc()
    await StatsFold.filter(id=row_id, next_fold_at=lease_until).update(next_fold_at=now + timedelta(seconds=FOLD_S),
                                                                     folded_at=now)
    return f"folded {applied}"


async def oldest_due(now: datetime) -> Optional[datetime]:
    return await due_work.oldest(_due(now), "next_fold_at")


due_work.register(due_work.DueWork(queue="stats", task="yijian.due_stats", claim=claim_due, run=run_due,
                                   oldest_due=oldest_due))

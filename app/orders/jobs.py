"""Order jobs: the active query on WeChat Pay's backoff, expiry (query, then close), and the query on read.

The due work is the order row itself (DESIGN §3, §4): `next_query_at` is when the order must next be looked
at — a query slot `created_at + YIJIAN_QUERY_SCHEDULE_S[n]`, and after the last slot its `expires_at`.
A sweep claims a due order by moving `next_query_at` to a lease with a conditional update, so of several
workers exactly one gets it; the job then sets the next slot, guarded by that same lease.

An order is created due at `prepay_due_at` (PREPAY_GRACE_S after it was made, app/orders/schedule.py), which
getting its prepay replaces with the first query slot. An order still without a prepay then lost the request that made it (a
crash): once the jobs claim it, no retry can finish it any more, and it is closed (cause `prepay_lost`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Optional

from tortoise.expressions import Q

from app.core.clock import now_utc
from app.deps import Deps
from app.jobs import due as due_work
from app.jobs.leases import Claim, claim
from app.orders.models import PAYING, Order
from app.orders.schedule import PREPAY_GRACE_S, next_query_at
from app.orders.service import close_unpaid
from app.orders.settlement import settle
from app.payments import AlreadyPaid, PaymentProviderError, TransactionResult
from app.payments.registry import Payments

log = logging.getLogger("yijian.orders.jobs")

LEASE_S = 60  # a claimed order whose job never finished (crash, lost message) is due again after this
PARK_S = 86_400  # a payment that does not match its order waits for operators; looked at again daily
READ_QUERY_AFTER_S = 5  # DESIGN §3: GET on an order PAYING for 5 s or more queries WeChat Pay ...
READ_QUERY_TIMEOUT_S = 2.0  # ... with a 2 s timeout ...
READ_QUERY_KEY = "yijian:orders:read-query:{order_id}"  # ... at most once per 5 s per order
SETTLED = ("paid", "duplicate", "paid_after_close")

__all__ = ["due", "claim_due", "run_due_order", "oldest_due", "query_on_read", "query_now"]


def due(now: datetime):
    """The PAYING WeChat Pay orders due at `now`: past their `next_query_at`, or without one (made before orders
    were created due at `prepay_due_at`) once that grace has passed, or at their expiry."""
    unscheduled_due = Q(created_at__lte=now - timedelta(seconds=PREPAY_GRACE_S)) | Q(expires_at__lte=now)
    return Order.filter(status=PAYING, provider="wechatpay").filter(
        Q(next_query_at__lte=now) | Q(Q(next_query_at=None) & unscheduled_due))


async def claim_due(now: datetime, limit: int = 200, order_ids: Optional[list[str]] = None) -> list[Claim]:
    """Claim the PAYING WeChat Pay orders due at `now` (among `order_ids` if given): each for one worker only,
    for LEASE_S seconds. An order with no `next_query_at` (made before orders were created due at
    `prepay_due_at`) is due once that grace has passed, or at its expiry.
    """
    query = due(now)
    if order_ids is not None:
        query = query.filter(id__in=order_ids)
    return await claim(query, {"status": PAYING}, now, lease_s=LEASE_S, order_by="expires_at", limit=limit)


async def oldest_due(now: datetime) -> Optional[datetime]:
    """When the oldest order due at `now` fell due: its next_query_at, or its expiry when it never got one."""
    queried = await due_work.oldest(due(now).filter(next_query_at__not_isnull=True), "next_query_at")
    expired = await due_work.oldest(due(now).filter(next_query_at=None), "expires_at")
    return min((moment for moment in (queried, expired) if moment is not None), default=None)


async def run_due_order(deps: Deps, order_id: str, lease_until: datetime, now: Optional[datetime] = None) -> str:
    """Query the claimed order, or close it when its time is up or its prepay was lost; answers what happened
    (for logs and tests)."""
    order = await Order.get_or_none(id=order_id, status=PAYING, next_query_at=lease_until)
    if order is None:
        return "stale"  # paid, closed or claimed again meanwhile
    now = now or now_utc()
    if now >= order.expires_at:
        return await _query_then_close(deps.payments, order, lease_until, now, "expiry")
    if order.prepay_id is None:
        return await _query_then_close(deps.payments, order, lease_until, now, "prepay_lost")
    return await _query(deps, order, lease_until)


async def _query(deps: Deps, order: Order, lease_until: datetime) -> str:
    attempts = order.query_attempts + 1
    try:
        state = await deps.payments.for_order(order).query(order.out_trade_no)
    except PaymentProviderError as exc:  # just move on to the next slot
        log.info("active query failed", extra={"fields": {"order_id": order.id, "cause": str(exc)}})
        result = "unavailable"
    else:
        result = (await settle(deps.payments, state, "query")).result
    schedule = deps.settings.query_schedule_s
    await _reschedule(order, lease_until, query_attempts=attempts,
                      next_query_at=next_query_at(order.created_at, order.expires_at, schedule, attempts))
    return result


async def _query_then_close(payments: Payments, order: Order, lease_until: datetime, now: datetime, cause: str) -> str:
    """DESIGN §3: query first (a payment found wins), then close at WeChat Pay, then here (stock given back).

    Never closed here without WeChat Pay's word: a close it did not confirm is tried at the next sweep.
    `expiry`: its time is up. `prepay_lost`: the one-tap that made it died before its prepay was stored and no
    retry finished it within the grace; it was never shown to the user and stays hidden, and its key is freed.
    """
    wechatpay = payments.for_order(order)
    try:
        state = await wechatpay.query(order.out_trade_no)
        if not state.paid:
            try:
                await wechatpay.close(order.out_trade_no)
            except AlreadyPaid:  # paid between the query and the close
                state = await wechatpay.query(order.out_trade_no)
    except PaymentProviderError as exc:
        log.info("close postponed: WeChat Pay did not answer",
                 extra={"fields": {"order_id": order.id, "close_cause": cause, "cause": str(exc)}})
        await _reschedule(order, lease_until, next_query_at=now)
        return "unavailable"
    if state.paid:
        return await _settle_before_close(payments, order, state, lease_until, now, f"{cause}_query")
    if await close_unpaid(order, cause, guard={"next_query_at": lease_until}):
        log.info("order closed unpaid", extra={"fields": {"order_id": order.id, "cause": cause}})
        return "closed"
    return "stale"


async def _settle_before_close(payments: Payments, order: Order, state: TransactionResult, lease_until: datetime,
                               now: datetime, cause: str) -> str:
    outcome = await settle(payments, state, cause)
    if outcome.result == "flagged":
        log.warning("payment found before closing does not match its order; parked for operators",
                    extra={"fields": {"order_id": order.id}})
        await _reschedule(order, lease_until, next_query_at=now + timedelta(seconds=PARK_S))
    elif outcome.result not in SETTLED:
        await _reschedule(order, lease_until, next_query_at=now)  # not settled: look again at the next sweep
    return outcome.result


async def _reschedule(order: Order, lease_until: datetime, **changes) -> None:
    """Guarded by the lease: a job that lost its claim (or an order paid meanwhile) changes nothing."""
    await Order.filter(id=order.id, status=PAYING, next_query_at=lease_until).update(**changes)


async def query_on_read(deps: Deps, order: Order, now: Optional[datetime] = None) -> Order:
    """GET on an order PAYING for READ_QUERY_AFTER_S or more asks WeChat Pay first (DESIGN §3 "Orders")."""
    now = now or now_utc()
    if order.status != PAYING or order.provider != "wechatpay":
        return order
    if now - order.created_at < timedelta(seconds=READ_QUERY_AFTER_S):
        return order
    if not await deps.redis.set(READ_QUERY_KEY.format(order_id=order.id), "1", nx=True, ex=READ_QUERY_AFTER_S):
        return order
    if await query_now(deps, order, "read_query", READ_QUERY_TIMEOUT_S) in SETTLED:
        return await Order.get(id=order.id)
    return order


async def query_now(deps: Deps, order: Order, cause: str, timeout_s: float) -> Optional[str]:
    """Ask WeChat Pay about the order, waiting at most `timeout_s`, and settle its answer with `cause`: settle's
    result, or None when WeChat Pay did not answer in time (a caller is waiting: the jobs try again later)."""
    try:
        async with asyncio.timeout(timeout_s):
            state = await deps.payments.for_order(order).query(order.out_trade_no)
    except (TimeoutError, PaymentProviderError) as exc:
        log.info("query failed", extra={"fields": {"order_id": order.id, "query_cause": cause,
                                                   "cause": str(exc) or "timeout"}})
        return None
    return (await settle(deps.payments, state, cause)).result


due_work.register(due_work.DueWork(queue="orders", task="yijian.due_order", claim=claim_due, run=run_due_order,
                                   oldest_due=oldest_due))

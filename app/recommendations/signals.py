"""Signals: the outbox consumers that keep the aggregates (each event applied once), and per-method health in Redis.

`order.paid` and `payment.failed` are folded into the user's aggregates (app/recommendations/aggregates.py) in
one transaction with `outbox.first_application`, so a job that runs twice changes nothing the second time.
How each payment method fares across all users lives in Redis: attempts and provider failures in 1-minute
buckets, read over the last 15 minutes (DESIGN §3 rule 1, METHOD_DEGRADED).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.jobs import outbox
from app.orders.events import ORDER_PAID, PAYMENT_FAILED
from app.orders.models import Order
from app.recommendations.aggregates import (
    PaidLine, PaidOrder, PaymentFailure, apply_failure, apply_paid, item_keys,
)
from app.recommendations.repository import StoredHistory, lock_user

log = logging.getLogger("yijian.recommendations")

CONSUMER = "recommendations"
# The backfill and the consumer both mark each paid order they count, so neither counts one the other did.
ORDER_CONSUMER = "recommendations.orders"

HEALTH_KEY = "yijian:reco:health:{method}:{minute}"
WINDOW_MINUTES = 15
BUCKET_TTL_S = (WINDOW_MINUTES + 2) * 60


# -- aggregates, from the outbox ------------------------------------------------------------------------------


def paid_order(order: Order) -> PaidOrder:
    """What an order teaches the aggregates: its lines, categories, address city and paid_at (the event has none)."""
    lines = tuple(PaidLine(product_id=line["product_id"], category=line.get("category") or "",
                           quantity=line["quantity"],
                           line_total_fen=line.get("line_total_fen", line["unit_price_fen"] * line["quantity"]))
                  for line in order.lines)
    city = (order.address or {}).get("city") or None
    return PaidOrder(order.id, order.payment_method, order.payable_fen, order.paid_at, lines, city)


def order_mark(order_id: str) -> dict[str, str]:
    return {"event_id": f"paid:{order_id}"}


async def apply_paid_order(connection: BaseDBAsyncClient, user_id: str, paid: PaidOrder,
                           payload: Optional[dict[str, Any]] = None) -> bool:
    """Fold one paid order into its user's aggregates, at most once per event and once per order."""
    user_row = await lock_user(connection, user_id)
    if payload is not None and not await outbox.first_application(connection, CONSUMER, payload):
        return False
    if not await outbox.first_application(connection, ORDER_CONSUMER, order_mark(paid.order_id)):
        return False
    stored = await StoredHistory.load(connection, user_row, [paid.method], item_keys(paid))
    apply_paid(stored.history, paid)
    await stored.save(connection)
    return True


@outbox.handles(ORDER_PAID)
async def on_order_paid(payload: dict[str, Any]) -> None:
    order = await Order.get_or_none(id=payload.get("order_id"))
    if order is None or order.paid_at is None:
        log.warning("order.paid for an order without paid_at", extra={"fields": {"order_id": payload.get("order_id")}})
        return
    async with in_transaction() as connection:
        await apply_paid_order(connection, order.user_id, paid_order(order), payload)


def payment_failure(payload: dict[str, Any]) -> PaymentFailure:
    return PaymentFailure(payload["payment_method"], payload["reason"], datetime.fromisoformat(payload["at"]))


@outbox.handles(PAYMENT_FAILED)
async def on_payment_failed(payload: dict[str, Any]) -> None:
    failure = payment_failure(payload)
    async with in_transaction() as connection:
        user_row = await lock_user(connection, payload["user_id"])
        if not await outbox.first_application(connection, CONSUMER, payload):
            return
        stored = await StoredHistory.load(connection, user_row, [failure.method], [])
        apply_failure(stored.history, failure)
        await stored.save(connection)


# -- per-method health across all users, in Redis -------------------------------------------------------------

_redis_getter: Optional[Callable[[], Redis]] = None


def install_redis(getter: Callable[[], Redis]) -> None:
    """Name where this process keeps its Redis client (read at each use); done by the blueprint at start-up."""
    global _redis_getter
    _redis_getter = getter


def installed_redis() -> Optional[Redis]:
    return _redis_getter() if _redis_getter is not None else None


@dataclass(frozen=True)
class MethodHealth:
    attempts: int = 0
    failures: int = 0


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


async def _bump(redis: Optional[Redis], method: str, field: str, now: Optional[datetime]) -> None:
    if redis is None:
        return
    key = HEALTH_KEY.format(method=method, minute=_minute(now or now_utc()))
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, field, 1)
            pipe.expire(key, BUCKET_TTL_S)
            await pipe.execute()
    except RedisError as exc:  # a lost count only blurs a rate; it must not fail a payment
        log.warning("method health not recorded", extra={"fields": {"method": method, "cause": str(exc)}})


async def record_attempt(redis: Optional[Redis], method: str, now: Optional[datetime] = None) -> None:
    """A one-tap reached the payment step with `method`."""
    await _bump(redis, method, "attempts", now)


async def record_provider_failure(redis: Optional[Redis], method: str, now: Optional[datetime] = None) -> None:
    """The provider itself failed (an error or a timeout after its retries), not the user's balance or PIN."""
    await _bump(redis, method, "failures", now)


async def method_health(redis: Optional[Redis], methods: tuple[str, ...], now: datetime) -> dict[str, MethodHealth]:
    """Attempts and failures of each method over the 15 one-minute buckets ending at `now`'s minute.

    Unknown (no Redis, or Redis failing) reads as healthy: a recommendation never fails for want of it.
    """
    if redis is None:
        return {method: MethodHealth() for method in methods}
    last = _minute(now)
    minutes = range(last - WINDOW_MINUTES + 1, last + 1)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for method in methods:
                for minute in minutes:
                    pipe.hmget(HEALTH_KEY.format(method=method, minute=minute), "attempts", "failures")
            answers = await pipe.execute()
    except RedisError as exc:
        log.warning("method health unreadable", extra={"fields": {"cause": str(exc)}})
        return {method: MethodHealth() for method in methods}
    health = {}
    for index, method in enumerate(methods):
        buckets = answers[index * WINDOW_MINUTES:(index + 1) * WINDOW_MINUTES]
        health[method] = MethodHealth(attempts=sum(int(a or 0) for a, _ in buckets),
                                      failures=sum(int(f or 0) for _, f in buckets))
    return health

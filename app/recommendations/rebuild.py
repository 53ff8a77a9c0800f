"""The operators' backfill (`python -m app rebuild-recommendations`): the aggregates rebuilt from the order history
by the same folds as the outbox consumers, so both give the same aggregates."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from tortoise.transactions import in_transaction

from app.jobs import outbox
from app.jobs.models import OutboxEvent
from app.orders.events import CLOSE_REASONS, PAYMENT_FAILED
from app.orders.models import Order
from app.orders.service import EVER_PAID
from app.recommendations.aggregates import History, PaymentFailure, UserAggregate, apply_failure, apply_paid
from app.recommendations.models import RecoUserStat
from app.recommendations.repository import lock_user, replace_history
from app.recommendations.signals import ORDER_CONSUMER, order_mark, paid_order, payment_failure

log = logging.getLogger("yijian.recommendations")

BATCH = 500


@dataclass
class RebuildReport:
    users: int = 0
    paid_orders: int = 0


async def wallet_failures() -> dict[str, list[PaymentFailure]]:
    """A wallet one-tap that failed leaves no order: its only record is its `payment.failed` event (the outbox
    keeps done events). The latest per user and method, read in batches."""
    latest: dict[tuple[str, str], PaymentFailure] = {}
    last_id = 0
    while True:
        rows = await OutboxEvent.filter(kind=PAYMENT_FAILED, id__gt=last_id).order_by("id").limit(BATCH).values(
            "id", "payload")
        for row in rows:
            payload = row["payload"]
            if payload.get("order_id") is None:
                failure = payment_failure(payload)
                key = (payload["user_id"], failure.method)
                if key not in latest or (failure.at, failure.reason) > (latest[key].at, latest[key].reason):
                    latest[key] = failure
        if len(rows) < BATCH:
            break
        last_id = rows[-1]["id"]
    by_user: dict[str, list[PaymentFailure]] = {}
    for (user_id, _), failure in latest.items():
        by_user.setdefault(user_id, []).append(failure)
    return by_user


async def rebuild_user(user_id: str, failures: Iterable[PaymentFailure] = ()) -> int:
    """One user's aggregates from their paid orders (those that went through PAID: a payment after the order
    closed wrote no `order.paid`), orders closed unpaid, and `failures`; one transaction, under the user's lock.

    Each counted order is marked, so its `order.paid` event, if still pending, is not counted again."""
    async with in_transaction() as connection:
        user_row = await lock_user(connection, user_id)
        history = History(UserAggregate(user_id))
        paid = await Order.filter(user_id=user_id, status__in=EVER_PAID, closed_at=None).exclude(
            paid_at=None).order_by("paid_at", "id").using_db(connection)
        for order in paid:
            apply_paid(history, paid_order(order))
        for order in await Order.filter(user_id=user_id, close_cause__in=list(CLOSE_REASONS)).using_db(connection):
            if order.closed_at is not None:
                apply_failure(history, PaymentFailure(order.payment_method, CLOSE_REASONS[order.close_cause],
                                                      order.closed_at))
        for failure in failures:
            apply_failure(history, failure)
        await replace_history(connection, user_row, history)
        await outbox.record_applications(connection, ORDER_CONSUMER,
                                         [order_mark(order.id)["event_id"] for order in paid])
    return len(paid)


async def rebuild(user_ids: Optional[list[str]] = None) -> RebuildReport:
    """Every user with an order, aggregates or a recorded wallet failure (or only `user_ids`)."""
    failures = await wallet_failures()
    if user_ids is None:
        users = set(await Order.all().distinct().values_list("user_id", flat=True))
        users |= set(await RecoUserStat.all().values_list("user_id", flat=True))
        users |= set(failures)
        user_ids = sorted(users)
    report = RebuildReport()
    for user_id in user_ids:
        report.paid_orders += await rebuild_user(user_id, failures.get(user_id, ()))
        report.users += 1
    log.info("recommendations rebuilt", extra={"fields": {"users": report.users, "paid_orders": report.paid_orders}})
    return report

"""Refund events: `refund.succeeded` `{refund_id, order_id, payment_method, amount_fen, cause, at}` (`at` ISO-8601,
UTC), written in the transaction that moves a refund to SUCCESS (a wallet refund at once, a WeChat Pay refund on its
notification or query); the statistics' `refunds_fen` (DESIGN §6.1) count it. `cause` is the refund's (`operator`
or `paid_after_close`)."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from app.jobs import outbox
from app.orders.models import Order
from app.refunds.models import Refund

REFUND_SUCCEEDED = "refund.succeeded"


async def emit_succeeded(connection: BaseDBAsyncClient, refund: Refund, order: Order, at: datetime) -> None:
    await outbox.emit(connection, REFUND_SUCCEEDED, {
        "refund_id": refund.id, "order_id": order.id, "payment_method": order.payment_method,
        "amount_fen": refund.amount_fen, "cause": refund.cause, "at": at.astimezone(timezone.utc).isoformat()})

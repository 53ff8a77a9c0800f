"""Order events: what orders tell the rest of the system through the outbox. Each is written in the transaction of
the change it follows, by the writers below; its payload is kept exactly, since consumers (recommendations,
refunds, statistics) read it, and `outbox.emit` adds an `event_id`.

- `order.paid` `{order_id, user_id, out_trade_no, transaction_id, amount_fen, payment_method, cause}`: PAYING →
  PAID by settlement, or a wallet one-tap (transaction_id null, cause `one_tap_wallet`).
- `order.paid_after_close` `{order_id, amount_fen, api}`: a payment that came after the order closed
  (settlement); refunds' consumer gives it back.
- `payment.failed` `{user_id, payment_method, reason, order_id | null, at}` (`at` ISO-8601, UTC): a one-tap that
  ended in a payment error after choosing its method (no order: a wallet one-tap), or an order closed unpaid.
- `order.payment_cancelled` `{order_id, user_id, payment_method, at}`: the mini-program reported that the user left
  WeChat's cashier (DESIGN §9, recorded once per order: app/orders/service.report_event).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.clock import now_utc
from app.jobs import outbox
from app.orders.models import Order

log = logging.getLogger("yijian.orders")

ORDER_PAID, PAID_AFTER_CLOSE, PAYMENT_FAILED = "order.paid", "order.paid_after_close", "payment.failed"
PAYMENT_CANCELLED = "payment_cancelled"  # the mini-program's name for it (POST /orders/{id}/events)
OUTBOX_KINDS = {PAYMENT_CANCELLED: "order.payment_cancelled"}

# A one-tap that chose the wallet and ended in one of these (WALLET_PIN_REQUIRED and WALLET_PIN_NOT_SET are
# prompts to enter or set a PIN, not failures of the method, so they are not counted).
WALLET_FAILURES = ("PAYMENT_INSUFFICIENT_BALANCE", "WALLET_PIN_WRONG", "WALLET_PIN_LOCKED")
# An order closed unpaid, by the close's cause. `provider_failed` is the one-tap's own PAYMENT_PROVIDER_UNAVAILABLE:
# written here, with the close, and nowhere else, so it is counted once. `prepay_lost` (the one-tap's process died
# before it answered; the jobs closed the order) is our failure, not the method's: nothing is written.
CLOSE_REASONS = {"expiry": "EXPIRED_UNPAID", "cancel": "CANCELLED", "provider_failed": "PAYMENT_PROVIDER_UNAVAILABLE"}
REASONS = (*WALLET_FAILURES, "PAYMENT_PROVIDER_UNAVAILABLE", "EXPIRED_UNPAID", "CANCELLED")


def order_paid_payload(order: Order, *, transaction_id: Optional[str], amount_fen: int, cause: str) -> dict[str, Any]:
    return {"order_id": order.id, "user_id": order.user_id, "out_trade_no": order.out_trade_no,
            "transaction_id": transaction_id, "amount_fen": amount_fen, "payment_method": order.payment_method,
            "cause": cause}


async def emit_order_paid(connection: BaseDBAsyncClient, order: Order, *, transaction_id: Optional[str],
                          amount_fen: int, cause: str) -> None:
    await outbox.emit(connection, ORDER_PAID, order_paid_payload(
        order, transaction_id=transaction_id, amount_fen=amount_fen, cause=cause))


async def emit_paid_after_close(connection: BaseDBAsyncClient, order: Order, *, amount_fen: int, api: str) -> None:
    await outbox.emit(connection, PAID_AFTER_CLOSE, {"order_id": order.id, "amount_fen": amount_fen, "api": api})


def payment_failed_payload(user_id: str, payment_method: str, reason: str, order_id: Optional[str],
                           at: datetime) -> dict[str, Any]:
    if reason not in REASONS:
        raise ValueError(f"not a payment.failed reason: {reason!r}")
    return {"user_id": user_id, "payment_method": payment_method, "reason": reason, "order_id": order_id,
            "at": at.astimezone(timezone.utc).isoformat()}


async def emit_payment_failed(connection: BaseDBAsyncClient, user_id: str, payment_method: str, reason: str,
                              order_id: Optional[str], at: datetime) -> None:
    await outbox.emit(connection, PAYMENT_FAILED, payment_failed_payload(user_id, payment_method, reason, order_id, at))


async def emit_unpaid_close(connection: BaseDBAsyncClient, order: Order, cause: str, at: datetime) -> None:
    """In the close's own transaction: an order closed unpaid is a failed payment of its method."""
    reason = CLOSE_REASONS.get(cause)
    if reason is not None:
        await emit_payment_failed(connection, order.user_id, order.payment_method, reason, order.id, at)


async def emit_reported(connection: BaseDBAsyncClient, order: Order, event: str) -> None:
    await outbox.emit(connection, OUTBOX_KINDS[event], {
        "order_id": order.id, "user_id": order.user_id, "payment_method": order.payment_method,
        "at": now_utc().isoformat()})


@outbox.handles(ORDER_PAID)
async def _order_paid(payload: dict[str, Any]) -> None:
    # Statistics will hang here too; the recommendations' aggregates are folded by their own consumer.
    log.info("order paid (outbox)", extra={"fields": {"order_id": payload.get("order_id"),
                                                      "cause": payload.get("cause")}})


@outbox.handles(OUTBOX_KINDS[PAYMENT_CANCELLED])
async def _payment_cancelled(payload: dict[str, Any]) -> None:
    # Statistics will count it as USER_ABANDONED (DESIGN §6.1); until then the event is only acknowledged.
    log.info("payment cancelled at the cashier (outbox)",
             extra={"fields": {"order_id": payload.get("order_id"), "payment_method": payload.get("payment_method")}})

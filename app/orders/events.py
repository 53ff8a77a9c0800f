"""Order events: what orders tell the rest of the system through the outbox. Each is written in the transaction of
the change it follows, by the writers below; its payload is kept exactly, since consumers (recommendations,
refunds, statistics) read it, and `outbox.emit` adds an `event_id`.

- `order.created` `{order_id, user_id, payment_method, payable_fen, at}`: a one-tap made the order (in the one-tap's
  transaction; a replayed or resumed one-tap makes none). Statistics count orders and attempts by it.
- `order.paid` `{order_id, user_id, out_trade_no, transaction_id, amount_fen, payment_method, cause, at}`: PAYING →
  PAID by settlement, or a wallet one-tap (transaction_id null, cause `one_tap_wallet`); `at` is when it became PAID.
  Settled from a notification, it also has `success_time` (WeChat's) and `received_at` (the notification's arrival):
  the statistics' notification latency.
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
ORDER_CREATED = "order.created"
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


def _utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


async def emit_order_created(connection: BaseDBAsyncClient, order: Order) -> None:
    await outbox.emit(connection, ORDER_CREATED, {
        "order_id": order.id, "user_id": order.user_id, "payment_method": order.payment_method,
        "payable_fen": order.payable_fen, "at": _utc(order.created_at)})


def order_paid_payload(order: Order, *, transaction_id: Optional[str], amount_fen: int, cause: str,
                       notified: Optional[tuple[datetime, datetime]] = None) -> dict[str, Any]:
    """`notified`: WeChat's success_time and when its notification was received, for a notification's payment."""
    payload = {"order_id": order.id, "user_id": order.user_id, "out_trade_no": order.out_trade_no,
               "transaction_id": transaction_id, "amount_fen": amount_fen, "payment_method": order.payment_method,
               "cause": cause, "at": _utc(now_utc())}
    if notified is not None:
        payload["success_time"], payload["received_at"] = _utc(notified[0]), _utc(notified[1])
    return payload


async def emit_order_paid(connection: BaseDBAsyncClient, order: Order, *, transaction_id: Optional[str],
                          amount_fen: int, cause: str, notified: Optional[tuple[datetime, datetime]] = None) -> None:
    await outbox.emit(connection, ORDER_PAID, order_paid_payload(
        order, transaction_id=transaction_id, amount_fen=amount_fen, cause=cause, notified=notified))


async def emit_paid_after_close(connection: BaseDBAsyncClient, order: Order, *, amount_fen: int, api: str) -> None:
    await outbox.emit(connection, PAID_AFTER_CLOSE, {"order_id": order.id, "amount_fen": amount_fen, "api": api})


def payment_failed_payload(user_id: str, payment_method: str, reason: str, order_id: Optional[str],
                           at: datetime) -> dict[str, Any]:
    if reason not in REASONS:
        raise ValueError(f"not a payment.failed reason: {reason!r}")
    return {"user_id": user_id, "payment_method": payment_method, "reason": reason, "order_id": order_id,
            "at": _utc(at)}


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
    # Statistics (app/stats/jobs.py) and the recommendations' aggregates are folded by consumers of their own.
    log.info("order paid (outbox)", extra={"fields": {"order_id": payload.get("order_id"),
                                                      "cause": payload.get("cause")}})


@outbox.handles(OUTBOX_KINDS[PAYMENT_CANCELLED])
async def _payment_cancelled(payload: dict[str, Any]) -> None:
    # Statistics count it as USER_ABANDONED (DESIGN §6.1) in a consumer of their own (app/stats/jobs.py).
    log.info("payment cancelled at the cashier (outbox)",
             extra={"fields": {"order_id": payload.get("order_id"), "payment_method": payload.get("payment_method")}})

"""What the mini-program reports about an order (DESIGN §9): the user left WeChat's cashier without paying.

Recorded once per order and event as an `order.payment_cancelled` outbox event (statistics will count it as
USER_ABANDONED, §6.1). The row in `order_events`, unique per (order, event), is written in the same
transaction as the outbox event, so a repeated or concurrent report records nothing more. The order itself
does not move: it stays PAYING and payable until it is paid or expires.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.jobs import outbox
from app.orders.models import PAYING, Order, OrderEvent
from app.orders.service import get_own

log = logging.getLogger("yijian.orders")

PAYMENT_CANCELLED = "payment_cancelled"
OUTBOX_KINDS = {PAYMENT_CANCELLED: "order.payment_cancelled"}


async def report(user_id: str, order_id: str, event: str) -> bool:
    """Record `event` for the user's own order (404 for anyone else's). True if recorded now; False when it
    was recorded before or the order is no longer PAYING (a late report of an order paid or closed since
    would count an abandonment that did not end the order)."""
    order = await get_own(user_id, order_id)
    try:
        async with in_transaction() as connection:
            if not await Order.filter(id=order.id, status=PAYING).using_db(connection).exists():
                return False
            await OrderEvent.create(order_id=order.id, event=event, using_db=connection)
            await outbox.emit(connection, OUTBOX_KINDS[event], _payload(order))
    except IntegrityError:
        return False  # reported before: the unique (order, event) row is already there
    return True


def _payload(order: Order) -> dict[str, Any]:
    return {"order_id": order.id, "user_id": order.user_id, "payment_method": order.payment_method,
            "at": now_utc().isoformat()}


@outbox.handles("order.paid")
async def _order_paid(payload: dict[str, Any]) -> None:
    # Statistics will hang here too; the recommendations' aggregates are folded by their own consumer.
    log.info("order paid (outbox)", extra={"fields": {"order_id": payload.get("order_id"),
                                                      "cause": payload.get("cause")}})


@outbox.handles(OUTBOX_KINDS[PAYMENT_CANCELLED])
async def _payment_cancelled(payload: dict[str, Any]) -> None:
    # Statistics will count it as USER_ABANDONED (DESIGN §6.1); until then the event is only acknowledged.
    log.info("payment cancelled at the cashier (outbox)",
             extra={"fields": {"order_id": payload.get("order_id"), "payment_method": payload.get("payment_method")}})

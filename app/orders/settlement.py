"""Settlement: apply what WeChat Pay says about an order, exactly once, whoever says it (DESIGN.md §3, §4).

Notifications, the active query, the query before expiry, the query on read and feedback's query all end
here. The order moves by a conditional update on its status inside one transaction with the payment row (unique
transaction_id) and the outbox event, so of N concurrent callers with one transaction exactly one wins.
Settlement asks no provider for anything: a payment to give back is queued (`order.paid_after_close`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Optional

from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.security import new_id
from app.orders import events, service as orders
from app.orders.service import flag
from app.orders.models import CLOSED, PAID, PAYING, REFUNDING, Order, OrderFlag, Payment
from app.payments import TransactionResult
from app.payments.registry import Payments
from app.risk import events as risk

log = logging.getLogger("yijian.settlement")

CAUSES = ("notification", "query", "expiry_query", "prepay_lost_query", "read_query", "reconciliation",
          "feedback_query")
AMOUNT_MISMATCH, ACCOUNT_MISMATCH, PAID_AFTER_CLOSE = "amount_mismatch", "account_mismatch", "paid_after_close"
TRANSACTION_MISMATCH = "transaction_mismatch"


@dataclass(frozen=True)
class SettleOutcome:
    result: Literal["paid", "duplicate", "flagged", "paid_after_close", "unchanged", "unknown_order"]
    order_id: str | None


async def settle(payments: Payments, state: TransactionResult, cause: str, *,
                 received_at: Optional[datetime] = None) -> SettleOutcome:
    """Apply `state` (a notification's or a query's) to the order with its out_trade_no.

    SUCCESS/REFUND that matches the order: PAYING → PAID once; already paid with this transaction →
    duplicate; CLOSED → the payment is recorded, flagged and queued to be refunded. A mismatch of
    amount, currency, mchid or appid never pays: the order is flagged. Any other trade state changes
    nothing (expiry decides). `received_at`: when the notification that says it arrived (statistics' latency).
    """
    order = await Order.get_or_none(out_trade_no=state.out_trade_no)
    if order is None:
        return SettleOutcome("unknown_order", None)
    if not state.paid or order.provider != "wechatpay":
        return SettleOutcome("unchanged", order.id)
    if not state.transaction_id:
        log.warning("paid state without transaction_id", extra={"fields": {"order_id": order.id, "cause": cause}})
        return SettleOutcome("unchanged", order.id)
    mismatch = await _mismatch(payments, order, state)
    if mismatch is not None:
        kind, detail = mismatch
        await flag(order.id, kind, {**detail, "transaction_id": state.transaction_id, "cause": cause})
        log.warning("payment does not match its order", extra={"fields": {"order_id": order.id, "flag": kind}})
        return SettleOutcome("flagged", order.id)
    for _ in range(3):  # a lost race re-reads the order: it was paid, or closed, meanwhile
        if order.status == PAYING:
            if await _mark_paid(order, state, cause, received_at):
                log.info("order paid", extra={"fields": {"order_id": order.id, "cause": cause}})
                return SettleOutcome("paid", order.id)
        elif order.status == CLOSED and order.transaction_id is None:
            if await _record_paid_after_close(order, state, cause):
                log.warning("paid after close; refunding", extra={"fields": {"order_id": order.id, "cause": cause}})
                return SettleOutcome("paid_after_close", order.id)
        elif order.transaction_id == state.transaction_id:
            return SettleOutcome("duplicate", order.id)
        else:
            await flag(order.id, TRANSACTION_MISMATCH, {"transaction_id": state.transaction_id,
                                                         "recorded": order.transaction_id, "cause": cause})
            return SettleOutcome("flagged", order.id)
        order = await Order.get(id=order.id)
    raise RuntimeError(f"order {order.id} kept changing while settling")


async def _mismatch(payments: Payments, order: Order, state: TransactionResult
                    ) -> Optional[tuple[str, dict[str, Any]]]:
    creds = await payments.credentials()
    if (state.mchid and state.mchid != creds.mchid) or (state.appid and state.appid != creds.appid):
        return ACCOUNT_MISMATCH, {"mchid": state.mchid, "appid": state.appid}
    if state.amount_total_fen != order.payable_fen or (state.currency or "CNY") != "CNY":
        return AMOUNT_MISMATCH, {"amount_fen": state.amount_total_fen, "currency": state.currency,
                                 "payable_fen": order.payable_fen}
    return None


def _paid_at(state: TransactionResult) -> datetime:
    return state.success_time or now_utc()


async def _record_payment(connection, order: Order, state: TransactionResult) -> None:
    await Payment.create(id=new_id("pay"), order_id=order.id, transaction_id=state.transaction_id,
                         amount_fen=state.amount_total_fen, provider=state.api, payer_openid=state.payer_openid,
                         paid_at=_paid_at(state), details=state.raw, using_db=connection)


async def _mark_paid(order: Order, state: TransactionResult, cause: str, received_at: Optional[datetime]) -> bool:
    async with in_transaction() as connection:
        # listed: an order is shown once its prepay is handed out; one paid is shown whatever happened before.
        if not await orders.transition(order.id, PAYING, PAID, cause, connection, user_id=order.user_id,
                                       paid_at=_paid_at(state),
                                       transaction_id=state.transaction_id, next_query_at=None, listed=True):
            return False
        await _record_payment(connection, order, state)
        notified = (state.success_time, received_at) if received_at and state.success_time else None
        await events.emit_order_paid(connection, order, transaction_id=state.transaction_id,
                                     amount_fen=state.amount_total_fen, cause=cause, notified=notified)
    return True


async def _record_paid_after_close(order: Order, state: TransactionResult, cause: str) -> bool:
    """CLOSED → REFUNDING: the money came, so it is recorded and flagged, and its full refund is reserved on the
    order and queued (DESIGN §6): refunds' consumer of `order.paid_after_close` makes it and asks WeChat Pay."""
    async with in_transaction() as connection:
        if not await orders.transition(order.id, CLOSED, REFUNDING, PAID_AFTER_CLOSE, connection, user_id=order.user_id,
                                       paid_at=_paid_at(state), transaction_id=state.transaction_id,
                                       refunded_fen=order.payable_fen):
            return False
        await _record_payment(connection, order, state)
        await OrderFlag.create(order_id=order.id, kind=PAID_AFTER_CLOSE, using_db=connection, detail={
            "transaction_id": state.transaction_id, "close_cause": order.close_cause, "cause": cause})
        await events.emit_paid_after_close(connection, order, amount_fen=order.payable_fen, api=state.api)
    await risk.record_order_flag(PAID_AFTER_CLOSE, order.id, {"transaction_id": state.transaction_id, "cause": cause})
    return True

"""Orders: the state machine's one transition primitive, closing with stock and budget given back, reads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from app.catalog.service import release_stock
from app.core.clock import now_utc
from app.core.errors import AppError, NotFound, ValidationFailed
from app.core.pagination import newest_first
from app.core.serialize import jsonable, view
from app.orders import events, history
from app.orders.models import (
    CLOSED, PAID, PARTIALLY_REFUNDED, PAYING, REFUNDED, REFUNDING, STATUSES, Order, OrderFlag,
    OrderEvent, OrderPromotion, OrderTransition, Payment,
)
from app.orders.schemas import AdminOrderOut
from app.orders.schedule import first_query_at, prepay_due_at
from app.payments import AlreadyPaid, PaymentProviderError
from app.pricing import PriceResult
from app.promotions import service as promotions
from app.risk import events as risk

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

EVER_PAID = (PAID, REFUNDING, REFUNDED, PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class OrderHistory:
    """What orders keep of one order besides the order itself."""

    order: Order
    transitions: list[OrderTransition]
    flags: list[OrderFlag]
    payments: list[Payment]


async def flag(order_id: str, kind: str, detail: dict[str, Any]) -> bool:
    """Flag an order for operators, once per kind (the first detail is kept). True if newly flagged."""
    try:
        await OrderFlag.create(order_id=order_id, kind=kind, detail=detail)
    except IntegrityError:
        return False
    await risk.record_order_flag(kind, order_id, detail)
    return True


async def transition(order_id: str, from_status: str, to_status: str, cause: str,
                     connection: Optional[BaseDBAsyncClient] = None, *, guard: Optional[dict[str, Any]] = None,
                     user_id: Optional[str] = None, **changes: Any) -> bool:
    """Move the order only if it is still in `from_status` (and matches `guard`): of concurrent callers exactly
    one wins (True). The order's `user_id`, when the caller has it, saves a read (the checkout cache's counter)."""
    query = Order.filter(id=order_id, status=from_status, **(guard or {}))
    if connection is not None:
        query = query.using_db(connection)
    if not await query.update(status=to_status, **changes):
        return False
    await OrderTransition.create(order_id=order_id, from_status=from_status, to_status=to_status, cause=cause,
                                 using_db=connection)
    if user_id is None:
        user_id = (await Order.filter(id=order_id).using_db(connection).values_list("user_id", flat=True) or [None])[0]
    if user_id is not None:
        await history.changed(user_id)  # announced when the caller's transaction commits
    return True


def out_trade_no_for(order_id: str) -> str:
    """`YJ` + the order id's 26 time-sortable characters: unique, and 6–32 of [0-9A-Za-z] as WeChat asks."""
    return "YJ" + order_id.split("_", 1)[1]


async def create_order(connection: BaseDBAsyncClient, *, order_id: str, user_id: str, priced: PriceResult,
                       payment_method: str, address: Optional[dict[str, Any]], invoice: Optional[dict[str, Any]],
                       now: datetime, ttl_s: int, provider_api: Optional[str],
                       budgeted: frozenset[str] = frozenset()) -> Order:
    """In the one-tap's transaction: the order (lines, prices, address and invoice as snapshots), the promotions it
    used (with what each charged to its budget: the `budgeted` ones) and its first transition. Without `provider_api` it is paid at once from the wallet; with it, it is PAYING
    through WeChat Pay, hidden and due to the jobs at `prepay_due_at` until its prepay is stored (`store_prepay`),
    so that if the request getting the prepay dies, the jobs close it."""
    paid = provider_api is None
    order = await Order.create(
        id=order_id, user_id=user_id, out_trade_no=out_trade_no_for(order_id), created_at=now,
        listed=paid, next_query_at=None if paid else prepay_due_at(now),
        status=PAID if paid else PAYING, lines=[line.to_dict() for line in priced.lines],
        items_total_fen=priced.items_total_fen, discounts=[d.to_dict() for d in priced.discounts],
        discount_fen=priced.discount_fen, payable_fen=priced.payable_fen, payment_method=payment_method,
        provider="wallet" if paid else "wechatpay", provider_api=provider_api, address=jsonable(address),
        invoice=jsonable(invoice), expires_at=now + timedelta(seconds=ttl_s), paid_at=now if paid else None,
        using_db=connection,
    )
    if priced.discounts:
        await OrderPromotion.bulk_create([
            OrderPromotion(order_id=order.id, user_id=user_id, promotion_id=d.promotion_id, amount_fen=d.amount_fen,
                           budget_charged_fen=d.amount_fen if d.promotion_id in budgeted else 0)
            for d in priced.discounts
        ], using_db=connection)
    await OrderTransition.create(order_id=order.id, from_status=None, to_status=order.status,
                                 cause="one_tap_wallet" if paid else "one_tap", using_db=connection)
    await events.emit_order_created(connection, order)
    await history.changed(user_id)  # announced when the one-tap's transaction commits
    return order


async def store_prepay(connection: BaseDBAsyncClient, order: Order, prepay_id: str, schedule: tuple[int, ...]) -> bool:
    """The order's prepay, only while it still waits within its grace (once the jobs took it, they are closing it):
    it is then shown to the user, and due at the first slot of the query backoff (DESIGN §4)."""
    waiting = Order.filter(id=order.id, status=PAYING, prepay_id=None, next_query_at=prepay_due_at(order.created_at))
    return bool(await waiting.using_db(connection).update(prepay_id=prepay_id, listed=True,
                                                          next_query_at=first_query_at(order, schedule)))


async def release_refunded(connection: BaseDBAsyncClient, order_id: str, amount_fen: int) -> None:
    """A refund that failed gives back what it had reserved of the order's refundable amount."""
    await Order.filter(id=order_id).using_db(connection).update(refunded_fen=F("refunded_fen") - amount_fen)


async def close_unpaid(order: Order, cause: str, *, listed: Optional[bool] = None,
                       guard: Optional[dict[str, Any]] = None) -> bool:
    """PAYING → CLOSED (if it still matches `guard`), giving back stock and promotion budgets and writing
    `payment.failed`, in the same transaction. False if it moved. (An order closed before its one-tap was
    answered frees its idempotency key: app/checkout/idempotency.py.)
    """
    closed_at = now_utc()
    changes: dict[str, Any] = {"closed_at": closed_at, "close_cause": cause}
    if listed is not None:
        changes["listed"] = listed
    async with in_transaction() as connection:
        closed = await transition(order.id, PAYING, CLOSED, cause, connection, guard=guard, user_id=order.user_id,
                                  **changes)
        if not closed:
            return False
        await events.emit_unpaid_close(connection, order, cause, closed_at)
        await release_stock([(line["product_id"], line["quantity"]) for line in order.lines], connection)
        await promotions.release_budgets(connection, await OrderPromotion.filter(
            order_id=order.id, budget_charged_fen__gt=0).using_db(connection).values_list(
            "promotion_id", "budget_charged_fen"))
    return True


async def get_own(user_id: str, order_id: str) -> Order:
    order = await Order.get_or_none(id=order_id, user_id=user_id, listed=True)
    if order is None:
        raise NotFound()
    return order


async def list_own(user_id: str, limit: int, before_id: Optional[str]) -> list[Order]:
    return await newest_first(Order.filter(user_id=user_id, listed=True), limit, before_id)


async def cancel(deps: Deps, user_id: str, order_id: str) -> Order:
    """Close an unpaid order (at WeChat Pay first); a closed one answers as it is; anything else is 409.

    If WeChat Pay cannot confirm the close, the order stays open: closing it here alone would let the user
    pay a prepay we no longer wait for.
    """
    order = await get_own(user_id, order_id)
    if order.status == PAYING:
        if order.provider == "wechatpay":
            try:
                await deps.payments.for_order(order).close(order.out_trade_no)
            except AlreadyPaid:
                raise AppError("ORDER_NOT_CANCELLABLE", status=PAID) from None
            except PaymentProviderError:
                raise AppError("PAYMENT_PROVIDER_UNAVAILABLE", remedy="暂时无法取消订单，请稍后重试") from None
        await close_unpaid(order, "cancel")
        order = await Order.get(id=order.id)
    if order.status != CLOSED:
        raise AppError("ORDER_NOT_CANCELLABLE", status=order.status)
    return order


async def report_event(user_id: str, order_id: str, event: str) -> bool:
    """What the mini-program reports about the user's own order (404 for anyone else's), DESIGN §9: recorded once
    per order and event, as an `order_events` row (unique per order and event) and its outbox event in one
    transaction, so a repeated or concurrent report records nothing more. True if recorded now; False when it was
    recorded before or the order is no longer PAYING (a late report of an order paid or closed since would count
    an abandonment that did not end the order). The order itself does not move: it stays payable."""
    order = await get_own(user_id, order_id)
    try:
        async with in_transaction() as connection:
            if not await Order.filter(id=order.id, status=PAYING).using_db(connection).exists():
                return False
            await OrderEvent.create(order_id=order.id, event=event, using_db=connection)
            await events.emit_reported(connection, order, event)
    except IntegrityError:
        return False  # reported before: the unique (order, event) row is already there
    return True


async def has_paid_order(user_id: str) -> bool:
    """Whether the user ever paid (refunds included): `new_user_only` promotions are for those who never did."""
    return await Order.filter(user_id=user_id, status__in=EVER_PAID).exists()


async def checkout_history(user_id: str, token: Optional[str], *, paid_before: bool,
                           promotion_ids: Iterable[str]) -> history.History:
    """Whether the user ever paid (if `paid_before` is asked) and their uses of these promotions, from memory when
    read under `token` (the user's orders counter as this request read it, app/orders/history.py); what is
    missing is read from the database and kept with the rest."""
    wanted = frozenset(promotion_ids)
    found, cached = history.histories.peek(user_id, token)
    base = cached if found and cached is not None else history.History()
    if (base.paid_before is not None or not paid_before) and wanted <= base.known:
        return base
    paid = base.paid_before if base.paid_before is not None or not paid_before else await has_paid_order(user_id)
    missing = wanted - base.known
    uses = {**base.uses_by_promotion, **await promotion_uses(user_id, missing)} if missing else base.uses_by_promotion
    fresh = history.History(paid, uses, base.known | missing)
    if token is not None:
        history.histories.put(user_id, token, fresh)
    return fresh


async def promotion_uses(user_id: str, promotion_ids: Iterable[str]) -> dict[str, int]:
    """How many of this user's orders, PAYING or PAID, used each of these promotions (per-user limits,
    DESIGN §3). Only the promotions asked about: a long order history with other promotions costs nothing.

    Two indexed reads rather than a join, which PostgreSQL planned as a scan of the whole orders table.
    """
    wanted = set(promotion_ids)
    if not wanted:
        return {}
    rows = await OrderPromotion.filter(user_id=user_id, promotion_id__in=wanted).values_list(
        "order_id", "promotion_id")
    if not rows:
        return {}
    live = set(await Order.filter(id__in={order_id for order_id, _ in rows},
                                  status__in=(PAYING, PAID)).values_list("id", flat=True))
    uses: dict[str, int] = {}
    for order_id, promotion_id in rows:
        if order_id in live:
            uses[promotion_id] = uses.get(promotion_id, 0) + 1
    return uses


# -- operators' view (DESIGN.md §6 "Orders") ---------------------------------------------------------


async def admin_list(limit: int, before_id: Optional[str], *, status: Optional[str] = None,
                     flagged: Optional[bool] = None) -> list[dict[str, Any]]:
    """Every order (unlisted ones too), newest first; up to limit+1 for `app.core.http.page`."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed.one("status", f"must be one of {', '.join(STATUSES)}")
    query = Order.all()
    if status:
        query = query.filter(status=status)
    if flagged is not None:
        flagged_ids = Subquery(OrderFlag.all().values("order_id"))
        query = query.filter(id__in=flagged_ids) if flagged else query.filter(id__not_in=flagged_ids)
    rows = await newest_first(query, limit, before_id)
    kinds: dict[str, list[str]] = {}
    for order_id, kind in await OrderFlag.filter(order_id__in=[o.id for o in rows]).values_list("order_id", "kind"):
        kinds.setdefault(order_id, []).append(kind)
    return [view(AdminOrderOut, order, flags=sorted(kinds.get(order.id, []))) for order in rows]


async def admin_detail(order_id: str) -> OrderHistory:
    """One order with its transitions, flags and payments, oldest first (its refunds are refunds':
    app/admin/orders.py puts the two together)."""
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise NotFound()
    transitions, flags, payments = await asyncio.gather(
        OrderTransition.filter(order_id=order_id).order_by("id"), OrderFlag.filter(order_id=order_id).order_by("id"),
        Payment.filter(order_id=order_id).order_by("id"))
    return OrderHistory(order, transitions, flags, payments)

"""Refunds (DESIGN.md §6): by operators (idempotent per Idempotency-Key) or automatic (paid after close, queued).

The amount is reserved on the order by one conditional update (`refunded_fen` counts PROCESSING and
SUCCESS refunds), guarded by the status and `refunded_fen` read before it, so concurrent refunds can
never add up to more than was paid. WeChat Pay refunds move the order to REFUNDING and finish on the
refund notification or a query; wallet refunds credit the balance in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.errors import AppError, NotFound
from app.core.security import new_id
from app.core.serialize import view
from app.jobs import outbox
from app.operators import audit
from app.orders import service as orders
from app.orders.models import PAID, PARTIALLY_REFUNDED, REFUNDED, REFUNDING, Order, Payment
from app.orders import events as order_events
from app.orders.settlement import ACCOUNT_MISMATCH
from app.payments import ProviderRejected, ProviderUnavailable, RefundNotification, RefundRequest, RefundResult
from app.payments.registry import REFUND, Payments
from app.refunds import events as refund_events, schedule
from app.refunds.models import FAILED, PROCESSING, SUCCESS, Refund
from app.refunds.schemas import RefundOut
from app.wallet import ledger

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.refunds")

REFUNDABLE = (PAID, PARTIALLY_REFUNDED)
REFUND_ABNORMAL, REFUND_MISMATCH = "refund_abnormal", "refund_mismatch"  # order flags
WALLET = "wallet"
UNKNOWN_REFUND = "unknown_refund"  # a notification's verdict when no refund has its out_refund_no
UNSTATED = -1  # the amount of a notification that states none: no refund has it, so it never matches
AUTOMATIC_CONSUMER = "refunds.paid_after_close"  # applies each order.paid_after_close once (outbox.first_application)


@dataclass(frozen=True)
class RefundAnswer:
    refund: dict[str, Any]
    replayed: bool = False


class _OrderMoved(Exception):
    """The order changed between our read and our conditional update: read it again."""


def _hash(amount_fen: int, reason: str) -> str:
    return hashlib.sha256(f"{amount_fen}\n{reason}".encode()).hexdigest()


def _out_refund_no(refund_id: str) -> str:
    return "RF" + refund_id.split("_", 1)[1]


async def _provider_name(payments: Payments, order: Order, connection: Optional[BaseDBAsyncClient] = None) -> str:
    if order.provider == WALLET:
        return WALLET
    if order.provider_api:
        return order.provider_api
    query = Payment.filter(order_id=order.id)
    payment = await (query.using_db(connection) if connection else query).first()
    return payment.provider if payment else payments.default_api


async def request_refund(deps: Deps, operator_id: str, order_id: str, amount_fen: int, reason: str,
                         key: str) -> RefundAnswer:
    """An operator's refund; the same key on the same order answers the same refund (replayed)."""
    payments = deps.payments
    request_hash = _hash(amount_fen, reason)
    for _ in range(5):
        existing = await Refund.get_or_none(order_id=order_id, idempotency_key=key)
        if existing is not None:
            return await _replay(payments, existing, request_hash)
        order = await Order.get_or_none(id=order_id)
        if order is None:
            raise NotFound()
        if order.status not in REFUNDABLE:
            raise AppError("ORDER_NOT_REFUNDABLE", status=order.status)
        left = order.payable_fen - order.refunded_fen
        if amount_fen > left:
            raise AppError("REFUND_EXCEEDS_PAID", refundable_fen=left)
        refund_id = new_id("rfd")
        refund = Refund(id=refund_id, order_id=order.id, out_refund_no=_out_refund_no(refund_id),
                        amount_fen=amount_fen, status=PROCESSING, reason=reason, cause="operator",
                        provider=await _provider_name(payments, order), created_by=operator_id, idempotency_key=key,
                        request_hash=request_hash)
        try:
            await _reserve(payments, order, refund, operator_id)
        except _OrderMoved:
            continue
        except IntegrityError:  # the same key, concurrently: that request made the refund
            continue
        if refund.provider != WALLET:
            refund, error = await submit(payments, refund.id)
            if error is not None:
                raise error
        return RefundAnswer(view(RefundOut, refund))
    raise AppError("IDEMPOTENCY_KEY_IN_USE")


async def _reserve(payments: Payments, order: Order, refund: Refund, operator_id: str) -> None:
    """One transaction: the refund row first (its unique key stops a concurrent twin), the amount reserved on
    the order by a conditional update, the transition, the wallet credit (wallet orders) and the audit entry."""
    total = order.refunded_fen + refund.amount_fen
    if refund.provider == WALLET:
        to_status = REFUNDED if total >= order.payable_fen else PARTIALLY_REFUNDED
        refund.status, refund.finished_at = SUCCESS, now_utc()
    else:
        to_status = REFUNDING
        refund.next_query_at = schedule.first_query_at(now_utc())
    async with in_transaction() as connection:
        await refund.save(using_db=connection, force_create=True)
        if not await orders.transition(order.id, order.status, to_status, "operator", connection,
                                       user_id=order.user_id, refunded_fen=total,
                                       guard={"refunded_fen": order.refunded_fen}):
            raise _OrderMoved()
        if refund.provider != WALLET:
            await outbox.emit(connection, "refund.submit", {"refund_id": refund.id})
        if refund.provider == WALLET:
            await payments.wallet.credit(connection, order.user_id, refund.amount_fen, kind=ledger.REFUND,
                                         order_id=order.id, reason=refund.reason or "订单退款")
            await refund_events.emit_succeeded(connection, refund, order, refund.finished_at)
        await audit.record(connection, operator_id, "order.refund", "order", order.id,
                           {"status": order.status, "refunded_fen": order.refunded_fen},
                           {"status": to_status, "refunded_fen": total, "refund": view(RefundOut, refund)})


async def _replay(payments: Payments, refund: Refund, request_hash: str) -> RefundAnswer:
    if refund.request_hash != request_hash:
        raise AppError("IDEMPOTENCY_KEY_REUSED")
    if refund.status == PROCESSING and refund.provider != WALLET and refund.provider_refund_id is None:
        refund, error = await submit(payments, refund.id)  # WeChat never confirmed it: ask again, same out_refund_no
        if error is not None:
            raise error
    return RefundAnswer(view(RefundOut, refund), replayed=True)


async def create_automatic(connection: BaseDBAsyncClient, order: Order, amount_fen: int, provider: str) -> Refund:
    """A refund with no operator (cause paid_after_close), created in the caller's transaction; `submit` it
    after the commit. The order's `refunded_fen` is already set (settlement reserved it)."""
    refund_id = new_id("rfd")
    refund = await Refund.create(id=refund_id, order_id=order.id, out_refund_no=_out_refund_no(refund_id),
                                 amount_fen=amount_fen, status=PROCESSING, reason="订单已关闭，自动退款",
                                 cause="paid_after_close", provider=provider, using_db=connection,
                                 next_query_at=schedule.first_query_at(now_utc()))
    await outbox.emit(connection, "refund.submit", {"refund_id": refund.id})
    return refund


async def submit(payments: Payments, refund_id: str) -> tuple[Refund, Optional[AppError]]:
    """Ask WeChat Pay for a PROCESSING refund (again, if need be: the same out_refund_no and body are
    answered with the first refund). Unknown outcome → stays PROCESSING, a later call or query decides;
    a definite refusal → FAILED and the amount given back to the order."""
    refund = await Refund.get(id=refund_id).prefetch_related("order")
    if refund.status != PROCESSING or refund.provider == WALLET:
        return refund, None
    order: Order = refund.order
    request = RefundRequest(out_trade_no=order.out_trade_no, out_refund_no=refund.out_refund_no,
                            amount_fen=refund.amount_fen, total_fen=order.payable_fen, reason=refund.reason,
                            notify_url=payments.notify_url(refund.provider, REFUND))
    try:
        state = await payments.get(refund.provider).refund(request)
    except ProviderUnavailable as exc:
        log.warning("refund outcome unknown; left PROCESSING", extra={"fields": {"refund_id": refund.id,
                                                                                 "cause": str(exc)}})
        return refund, AppError("PAYMENT_PROVIDER_UNAVAILABLE", refund_id=refund.id, refund_status=PROCESSING)
    except ProviderRejected as exc:
        await finish(refund.out_refund_no, "CLOSED", None, "refund_refused", failure=exc.code)
        refund = await Refund.get(id=refund.id)
        return refund, AppError("PAYMENT_PROVIDER_UNAVAILABLE", remedy="微信支付拒绝了该退款，请核对后重试",
                                refund_id=refund.id, refund_status=refund.status, provider_code=exc.code)
    await Refund.filter(id=refund.id, provider_refund_id=None).update(provider_refund_id=state.refund_id or None)
    if state.status != PROCESSING:
        await finish(refund.out_refund_no, state.status, state.refund_id, "refund_query")
    return await Refund.get(id=refund.id), None


async def query_and_finish(payments: Payments, refund: Refund) -> str:
    """Ask WeChat Pay about a PROCESSING refund and apply the answer (the refund jobs); answers `finish`'s
    result. Raises PaymentProviderError (RefundNotFound when WeChat Pay does not know the refund)."""
    if refund.status != PROCESSING or refund.provider == WALLET:
        return "unchanged"
    state: RefundResult = await payments.get(refund.provider).query_refund(refund.out_refund_no)
    return await finish(refund.out_refund_no, state.status, state.refund_id, "refund_query",
                        amount_fen=state.amount_fen)


async def refunds_of_order(order_id: str) -> list[Refund]:
    """The order's refunds, oldest first (the operators' order detail lists them)."""
    return await Refund.filter(order_id=order_id).order_by("id")


async def apply_notification(payments: Payments, notification: RefundNotification) -> str:
    """A refund notification, checked against the refund it names and applied; answers the verdict the notification
    log keeps. Facts that do not match (another merchant, another order, another amount) change nothing: the order
    is flagged for operators, and WeChat is answered as acknowledged (its retry would say the same)."""
    out_refund_no = notification.out_refund_no
    refund = await Refund.get_or_none(out_refund_no=out_refund_no).prefetch_related("order")
    if refund is None:
        return UNKNOWN_REFUND
    if notification.mchid and notification.mchid != (await payments.credentials()).mchid:
        await orders.flag(refund.order_id, ACCOUNT_MISMATCH, {"out_refund_no": out_refund_no,
                                                              "mchid": notification.mchid})
        return "flagged"
    if notification.out_trade_no != refund.order.out_trade_no:
        await orders.flag(refund.order_id, REFUND_MISMATCH, {"out_refund_no": out_refund_no,
                                                             "out_trade_no": notification.out_trade_no})
        return "flagged"
    stated = UNSTATED if notification.amount_fen is None else notification.amount_fen
    result = await finish(out_refund_no, notification.status, notification.refund_id, "notification",
                          amount_fen=stated)
    return "flagged" if result == "flagged" else "refund_" + result


async def finish(out_refund_no: str, status: str, provider_refund_id: Optional[str], cause: str, *,
                 failure: Optional[str] = None, amount_fen: Optional[int] = None) -> str:
    """Apply a refund's outcome once: "finished", "duplicate", "unchanged" (still processing), "unknown", or
    "flagged" (ABNORMAL, or WeChat Pay's `amount_fen` is not the refund's: left for operators, never applied).
    """
    refund = await Refund.get_or_none(out_refund_no=out_refund_no)
    if refund is None:
        return "unknown"
    if status == "ABNORMAL":  # WeChat Pay could not pay it back (a closed card...): operators must act
        await orders.flag(refund.order_id, REFUND_ABNORMAL, {"out_refund_no": out_refund_no})
        return "flagged"
    if status not in ("SUCCESS", "CLOSED"):
        return "unchanged"  # PROCESSING
    if amount_fen is not None and amount_fen != refund.amount_fen:
        await orders.flag(refund.order_id, REFUND_MISMATCH, {
            "out_refund_no": out_refund_no, "amount_fen": amount_fen, "refund_fen": refund.amount_fen})
        log.warning("refund amount differs from WeChat Pay's; left for operators",
                    extra={"fields": {"refund_id": refund.id, "cause": cause}})
        return "flagged"
    succeeded = status == "SUCCESS"
    async with in_transaction() as connection:
        finished_at = now_utc()
        changes: dict[str, Any] = {"status": SUCCESS if succeeded else FAILED, "finished_at": finished_at}
        if provider_refund_id:
            changes["provider_refund_id"] = provider_refund_id
        if failure or not succeeded:
            changes["failure"] = failure or f"WeChat Pay: {status}"
        if not await Refund.filter(id=refund.id, status=PROCESSING).using_db(connection).update(**changes):
            return "duplicate"
        if not succeeded:
            await orders.release_refunded(connection, refund.order_id, refund.amount_fen)
        order = await Order.get(id=refund.order_id).using_db(connection)
        if succeeded:
            await refund_events.emit_succeeded(connection, refund, order, finished_at)
        pending = await Refund.filter(order_id=order.id, status=PROCESSING).using_db(connection).exists()
        if order.status == REFUNDING and not pending:
            if order.refunded_fen >= order.payable_fen:
                to_status = REFUNDED
            else:
                to_status = PARTIALLY_REFUNDED if order.refunded_fen > 0 else PAID
            await orders.transition(order.id, REFUNDING, to_status, cause, connection, user_id=order.user_id)
    log.info("refund finished", extra={"fields": {"refund_id": refund.id, "status": status, "cause": cause}})
    return "finished"


async def handle_outbox(deps: Deps, kind: str, payload: dict[str, Any]) -> bool:
    """For the job engine's outbox: `refund.submit` asks WeChat Pay again for a refund still unconfirmed."""
    if kind != "refund.submit":
        return False
    refund = await Refund.get_or_none(id=payload["refund_id"])
    if refund is not None and refund.status == PROCESSING and refund.provider_refund_id is None:
        _, error = await submit(deps.payments, refund.id)
        if error is not None:
            raise error
    return True


@outbox.handles("refund.submit", with_deps=True)
async def _submit_from_outbox(deps: Deps, payload: dict[str, Any]) -> None:
    await handle_outbox(deps, "refund.submit", payload)


@outbox.handles(order_events.PAID_AFTER_CLOSE, with_deps=True)
async def _refund_paid_after_close(deps: Deps, payload: dict[str, Any]) -> None:
    """A payment that came after its order closed goes back in full: the automatic refund, made once per event
    (settlement moved the order to REFUNDING and reserved the amount with the event), then asked of WeChat Pay.
    Should that ask fail, the refund stays PROCESSING: its refund.submit event and the refund jobs ask again."""
    async with in_transaction() as connection:
        if not await outbox.first_application(connection, AUTOMATIC_CONSUMER, payload):
            return
        order = await Order.get(id=payload["order_id"]).using_db(connection)
        refund = await create_automatic(connection, order, payload["amount_fen"], payload["api"])
    await submit(deps.payments, refund.id)

"""Reconciliation's queries: our side of a day (payments, refunds by the day WeChat accepted them), runs, differences."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from tortoise.expressions import Q

from app.orders.models import Order, Payment
from app.reconciliation.bill import CHINA_TZ
from app.reconciliation.compare import LocalPayment, LocalRefund
from app.reconciliation.models import ReconciliationDifference, ReconciliationRun
from app.refunds.models import FAILED, SUCCESS, Refund

LOOKUP_CHUNK = 500  # keys per IN (...) when looking up what the bill names
WALLET = "wallet"  # refunds of wallet orders never reach WeChat Pay


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Asia/Shanghai calendar day as UTC instants [start, end): the bill's day (China keeps no summer time)."""
    start = datetime.combine(day, time.min, CHINA_TZ).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    keys = list(keys)
    for at in range(0, len(keys), LOOKUP_CHUNK):
        yield keys[at:at + LOOKUP_CHUNK]


async def payments_of(day: date) -> list[LocalPayment]:
    """WeChat Pay payments received that day (their `paid_at` is WeChat's success_time, which is how the bill
    places a payment), paid-after-close ones included: the money came."""
    start, end = day_bounds(day)
    rows = await Payment.filter(paid_at__gte=start, paid_at__lt=end).order_by("paid_at").values(
        "transaction_id", "amount_fen", "paid_at", "order_id", "order__out_trade_no", "order__status",
        "order__payable_fen")
    return [LocalPayment(row["order_id"], row["order__out_trade_no"], row["order__status"], row["transaction_id"],
                         row["order__payable_fen"], row["amount_fen"], row["paid_at"]) for row in rows]


async def payments_named(out_trade_nos: Iterable[str]) -> dict[str, LocalPayment]:
    """The orders with these out_trade_nos as our books have them, paid or not; unknown ones are left out."""
    found: dict[str, LocalPayment] = {}
    for chunk in _chunks(out_trade_nos):
        orders = await Order.filter(out_trade_no__in=chunk).values(
            "id", "out_trade_no", "status", "transaction_id", "payable_fen", "paid_at")
        received = dict(await Payment.filter(order_id__in=[o["id"] for o in orders]).values_list("order_id",
                                                                                               "amount_fen"))
        for order in orders:
            found[order["out_trade_no"]] = LocalPayment(
                order["id"], order["out_trade_no"], order["status"], order["transaction_id"], order["payable_fen"],
                received.get(order["id"]), order["paid_at"])
    return found


_REFUND_FIELDS = ("id", "out_refund_no", "order__out_trade_no", "order_id", "amount_fen", "status",
                  "provider_refund_id", "created_at")


def _local_refund(row: dict) -> LocalRefund:
    return LocalRefund(row["id"], row["out_refund_no"], row["order__out_trade_no"], row["order_id"], row["amount_fen"],
                       row["status"], row["provider_refund_id"], row["created_at"])


async def refunds_of(day: date) -> list[LocalRefund]:
    """WeChat Pay refunds of that day that WeChat accepted (it gave a refund id, or it is done), by the day our
    row was made: the refund is asked for as the row is made, and WeChat bills a refund on the day it accepted
    it. One it has not accepted (never answered) or refused (FAILED) is in no bill."""
    start, end = day_bounds(day)
    rows = await Refund.filter(created_at__gte=start, created_at__lt=end).exclude(provider=WALLET).exclude(
        status=FAILED).filter(Q(provider_refund_id__not_isnull=True) | Q(status=SUCCESS)).order_by("created_at").values(
        *_REFUND_FIELDS)
    return [_local_refund(row) for row in rows]


async def refunds_named(out_refund_nos: Iterable[str]) -> dict[str, LocalRefund]:
    found: dict[str, LocalRefund] = {}
    for chunk in _chunks(out_refund_nos):
        for row in await Refund.filter(out_refund_no__in=chunk).values(*_REFUND_FIELDS):
            found[row["out_refund_no"]] = _local_refund(row)
    return found


async def run_of(day: date) -> Optional[ReconciliationRun]:
    return await ReconciliationRun.get_or_none(bill_date=day)


async def differences_page(run_id: str, limit: int, after_id: Optional[str], *, kind: Optional[str] = None,
                           resolved: Optional[bool] = None) -> list[ReconciliationDifference]:
    """Up to limit+1 differences of a run in the order they were found (ids sort by creation), after `after_id`."""
    query = ReconciliationDifference.filter(run_id=run_id)
    if kind:
        query = query.filter(kind=kind)
    if resolved is not None:
        query = query.filter(resolved_at__isnull=not resolved)
    if after_id:
        query = query.filter(id__gt=after_id)
    return await query.order_by("id").limit(limit + 1)


async def difference_counts(run_id: str) -> list[tuple[str, bool]]:
    """(kind, resolved) of every difference of a run."""
    rows = await ReconciliationDifference.filter(run_id=run_id).values_list("kind", "resolved_at")
    return [(kind, resolved_at is not None) for kind, resolved_at in rows]

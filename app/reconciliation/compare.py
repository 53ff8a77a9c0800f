"""The day's trade bill against our books: a pure comparison into DESIGN §8's four kinds of difference."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from app.reconciliation.bill import BillRow
from app.reconciliation.models import AMOUNT_MISMATCH, MISSING_LOCAL, MISSING_REMOTE, REFUND_MISMATCH

PAID_IN_BILL = "SUCCESS"  # a payment row's 交易状态; REVOKED (付款码 only) is no payment
REFUND_FAILED = "FAILED"  # our refund status WeChat refused


@dataclass(frozen=True)
class LocalPayment:
    """An order as our books have it: paid (transaction_id set) or not (an order the bill names, not paid here)."""

    order_id: str
    out_trade_no: str
    status: str
    transaction_id: Optional[str]
    payable_fen: int
    payment_fen: Optional[int]  # what the payment row says we received; None without one
    paid_at: Optional[datetime]


@dataclass(frozen=True)
class LocalRefund:
    refund_id: str
    out_refund_no: str
    out_trade_no: str
    order_id: str
    amount_fen: int
    status: str
    provider_refund_id: Optional[str]
    created_at: datetime


@dataclass
class Books:
    """Our side of one day: the WeChat Pay payments received that day and the refunds WeChat accepted that day,
    plus what we know of anything else the bill names (looked up by out_trade_no / out_refund_no)."""

    payments: list[LocalPayment]
    refunds: list[LocalRefund]
    other_payments: dict[str, LocalPayment] = field(default_factory=dict)
    other_refunds: dict[str, LocalRefund] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    payments: int = 0
    paid_fen: int = 0
    refunds: int = 0
    refunded_fen: int = 0


@dataclass(frozen=True)
class Found:
    kind: str
    key: str  # out_refund_no for refund_mismatch, else out_trade_no
    out_trade_no: Optional[str]
    order_id: Optional[str]
    remote: Optional[dict[str, Any]]
    local: Optional[dict[str, Any]]


@dataclass(frozen=True)
class Comparison:
    differences: list[Found]
    remote: Totals
    local: Totals


def iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def _grouped(rows: Iterable[BillRow], key) -> dict[str, list[BillRow]]:
    """Rows by key, in bill order. WeChat bills one row per payment and per refund; should a key come twice,
    its rows are read together (amounts added), so a duplicate shows up as a difference instead of vanishing."""
    grouped: dict[str, list[BillRow]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _ids(rows: list[BillRow], name: str) -> str:
    return ",".join(dict.fromkeys(getattr(row, name) or "" for row in rows))


def _remote_payment(rows: list[BillRow]) -> dict[str, Any]:
    return {"out_trade_no": rows[0].out_trade_no, "transaction_id": _ids(rows, "transaction_id"),
            "amount_fen": sum(row.total_fen for row in rows), "trade_state": rows[0].trade_state,
            "paid_at": iso(rows[0].trade_time), "rows": len(rows)}


def _remote_refund(rows: list[BillRow]) -> dict[str, Any]:
    # 申请退款金额 is what the merchant asked, as our refund's amount is; 退款金额 may be less (coupons).
    return {"out_refund_no": rows[0].out_refund_no, "refund_id": _ids(rows, "refund_id"),
            "out_trade_no": rows[0].out_trade_no, "transaction_id": rows[0].transaction_id,
            "amount_fen": sum(row.refund_requested_fen for row in rows),
            "refunded_fen": sum(row.refund_fen for row in rows), "status": rows[0].refund_status,
            "accepted_at": iso(rows[0].trade_time), "rows": len(rows)}


def _local_payment(payment: Optional[LocalPayment]) -> Optional[dict[str, Any]]:
    if payment is None:
        return None
    return {"order_id": payment.order_id, "out_trade_no": payment.out_trade_no, "status": payment.status,
            "transaction_id": payment.transaction_id, "payable_fen": payment.payable_fen,
            "payment_fen": payment.payment_fen, "paid_at": iso(payment.paid_at)}


def _local_refund(refund: Optional[LocalRefund]) -> Optional[dict[str, Any]]:
    if refund is None:
        return None
    return {"refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no, "out_trade_no": refund.out_trade_no,
            "order_id": refund.order_id, "amount_fen": refund.amount_fen, "status": refund.status,
            "provider_refund_id": refund.provider_refund_id, "created_at": iso(refund.created_at)}


def _payment_kind(remote: dict[str, Any], local: Optional[LocalPayment]) -> Optional[str]:
    if local is None or local.transaction_id is None or local.transaction_id != remote["transaction_id"]:
        return MISSING_LOCAL  # paid at WeChat, and that payment is not recorded here
    amounts = {local.payable_fen} | ({local.payment_fen} if local.payment_fen is not None else set())
    return AMOUNT_MISMATCH if amounts != {remote["amount_fen"]} else None


def _refund_differs(remote: dict[str, Any], local: Optional[LocalRefund]) -> bool:
    return (local is None or local.status == REFUND_FAILED or local.amount_fen != remote["amount_fen"]
            or local.out_trade_no != remote["out_trade_no"])


def compare(bill_rows: Iterable[BillRow], books: Books) -> Comparison:
    """Every payment and refund of the bill against ours, and ours of the day against the bill."""
    rows = list(bill_rows)
    paid = _grouped((row for row in rows if not row.is_refund and row.trade_state == PAID_IN_BILL),
                    lambda row: row.out_trade_no)
    refunded = _grouped((row for row in rows if row.is_refund), lambda row: row.out_refund_no or "")
    payments = {**books.other_payments, **{p.out_trade_no: p for p in books.payments}}
    refunds = {**books.other_refunds, **{r.out_refund_no: r for r in books.refunds}}
    found: list[Found] = []
    for out_trade_no, bill_rows_of_order in paid.items():
        remote, local = _remote_payment(bill_rows_of_order), payments.get(out_trade_no)
        kind = _payment_kind(remote, local)
        if kind is not None:
            found.append(Found(kind, out_trade_no, out_trade_no, local.order_id if local else None, remote,
                               _local_payment(local)))
    found += [Found(MISSING_REMOTE, p.out_trade_no, p.out_trade_no, p.order_id, None, _local_payment(p))
              for p in books.payments if p.out_trade_no not in paid]
    for out_refund_no, bill_rows_of_refund in refunded.items():
        remote, local = _remote_refund(bill_rows_of_refund), refunds.get(out_refund_no)
        if _refund_differs(remote, local):
            found.append(Found(REFUND_MISMATCH, out_refund_no, remote["out_trade_no"],
                               local.order_id if local else None, remote, _local_refund(local)))
    found += [Found(REFUND_MISMATCH, r.out_refund_no, r.out_trade_no, r.order_id, None, _local_refund(r))
              for r in books.refunds if r.out_refund_no not in refunded]
    paid_rows = [row for group in paid.values() for row in group]
    refund_rows = [row for group in refunded.values() for row in group]
    return Comparison(
        differences=found,
        remote=Totals(len(paid_rows), sum(row.total_fen for row in paid_rows),
                      len(refund_rows), sum(row.refund_requested_fen for row in refund_rows)),
        local=Totals(len(books.payments),
                     sum(p.payment_fen if p.payment_fen is not None else p.payable_fen for p in books.payments),
                     len(books.refunds), sum(r.amount_fen for r in books.refunds)),
    )

"""Request and response models of the reconciliation admin API (DESIGN §8), and the views built with them."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, Field, StringConstraints

from app.core.serialize import view
from app.reconciliation.models import KINDS, ReconciliationDifference, ReconciliationRun

Kind = Literal["missing_local", "missing_remote", "amount_mismatch", "refund_mismatch"]


class ResolveIn(BaseModel):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SideTotals(BaseModel):
    """What one side says of the day: payments (count, amount) and refunds (count, amount asked)."""

    payments: int
    paid_fen: int
    refunds: int
    refunded_fen: int


class DifferenceCounts(BaseModel):
    missing_local: int = 0
    missing_remote: int = 0
    amount_mismatch: int = 0
    refund_mismatch: int = 0
    total: int = 0
    open: int = 0  # not resolved yet


class RunOut(BaseModel):
    id: str
    date: date
    status: Literal["pending", "running", "done", "failed"]
    attempts: int
    last_error: Optional[str] = Field(description="why the last attempt did not finish cleanly (null when it did)")
    next_attempt_at: Optional[datetime] = Field(description="when the jobs try the day again (a lease while running)")
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    compared_at: Optional[datetime] = Field(description="when the figures and differences below were compared")
    api: Optional[str] = Field(description="the WeChat Pay API the bill came from: wechatpay_v3 | wechatpay_v2")
    bill_sha1: Optional[str]
    remote: SideTotals = Field(description="the trade bill (WeChat Pay)")
    local: SideTotals = Field(description="our books")
    counts: DifferenceCounts


class DifferenceOut(BaseModel):
    id: str
    kind: Kind
    key: str = Field(description="out_refund_no of a refund_mismatch, out_trade_no otherwise")
    out_trade_no: Optional[str]
    order_id: Optional[str]
    remote: Optional[dict[str, Any]] = Field(description="the bill's side (amounts in fen); null when it has none")
    local: Optional[dict[str, Any]] = Field(description="our side when compared; null when we have none")
    settlement: Optional[str] = Field(description="missing_local: what settling it did (paid, paid_after_close, "
                                                  "flagged, duplicate, unchanged, unknown_order, unavailable)")
    found_at: datetime
    seen_at: datetime
    resolved: bool
    resolved_at: Optional[datetime]
    resolved_by: Optional[str] = Field(description="the operator's id, or `reconciliation` when settling fixed it")
    note: Optional[str]


class DifferencePage(BaseModel):
    items: list[DifferenceOut]
    next_cursor: Optional[str] = None


class ReconciliationDayOut(BaseModel):
    date: date
    run: Optional[RunOut] = Field(description="null until the day has been reconciled or scheduled")
    differences: DifferencePage


def difference_out(difference: ReconciliationDifference) -> dict[str, Any]:
    return view(DifferenceOut, difference, resolved=difference.resolved_at is not None)


def run_out(run: ReconciliationRun, kinds_resolved: list[tuple[str, bool]]) -> dict[str, Any]:
    """The run with both sides' totals and the counts of its differences (`(kind, resolved)` of each)."""
    by_kind = Counter(kind for kind, _ in kinds_resolved)
    counts = {kind: by_kind[kind] for kind in KINDS} | {
        "total": len(kinds_resolved), "open": sum(1 for _, resolved in kinds_resolved if not resolved)}
    side = ("payments", "paid_fen", "refunds", "refunded_fen")
    return view(RunOut, run, date=run.bill_date, counts=counts,
                remote={name: getattr(run, f"remote_{name}") for name in side},
                local={name: getattr(run, f"local_{name}") for name in side})

"""A day's reconciliation (DESIGN §8): the trade bill fetched, its hash checked, parsed off the event loop,
compared with our books; what WeChat was paid for and we never recorded is settled the normal way (query, then
`settle`); the result replaces the day's previous one. Operators read it and resolve differences with a note."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from app.core import metrics
from app.core.clock import CHINA_TZ, now_utc
from app.core.errors import AppError, NotFound
from app.core.security import new_id
from app.jobs.leases import claim
from app.operators import audit
from app.orders.models import Order
from app.orders.settlement import settle
from app.payments import BillDownload, PaymentProvider, PaymentProviderError, ProviderRejected, ProviderUnavailable
from app.payments.interface import NO_BILL
from app.payments.registry import Payments
from app.reconciliation import repository
from app.reconciliation.bill import BillFormatError, BillRow, parse_trade_bill
from app.reconciliation.compare import Books, Comparison, Found, compare
from app.reconciliation.models import (
    DONE, FAILED, KINDS, MISSING_LOCAL, PENDING, RUNNING, ReconciliationDifference, ReconciliationRun,
)

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.reconciliation")

CAUSE = "reconciliation"  # the settlement cause of what it settles, and its name on what it resolved
LEASE_S = 900  # a big bill takes time to fetch and read; a run that died is taken up again after this
RETRY_S = (300, 900, 1800, 3600, 7200, 14400, 21600)  # after the 1st, 2nd … failure in a row; then every 6 h
KEPT_DAYS = 92  # WeChat keeps a bill three months: no retry beyond
QUERY_UNAVAILABLE = "unavailable"
# What settling a missing_local did that leaves nothing for an operator to do: resolved by reconciliation itself.
SETTLED_NOTES = {
    "paid": "已按微信支付的记录补单：订单已标记为已支付",
    "paid_after_close": "关单后支付：付款已登记，并已发起原路全额退款",
    "duplicate": "复查时订单已为已支付，无需处理",
}
metrics.expose_reconciliation_kinds(KINDS)


class BillRefused(Exception):
    """The downloaded file is not the bill WeChat described (its hash differs): never compared."""


class ReconciliationBusy(Exception):
    """Another run of the same day holds its lease."""


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()


def bill_provider(payments: Payments) -> PaymentProvider:
    """The WeChat Pay API the merchant is configured for: one merchant number has one bill, both APIs' orders in it."""
    return payments.default


# -- running a day ----------------------------------------------------------------------------------------


async def ensure_run(day: date, due_at: Optional[datetime]) -> ReconciliationRun:
    """The day's run, made `pending` and due at `due_at` unless it exists (one row per day, whoever asks first)."""
    run = await repository.run_of(day)
    if run is not None:
        return run
    try:
        return await ReconciliationRun.create(id=new_id("rcn"), bill_date=day, status=PENDING, next_attempt_at=due_at)
    except IntegrityError:  # made meanwhile by another worker
        return await ReconciliationRun.get(bill_date=day)


async def reconcile_now(deps: Deps, day: date, now: Optional[datetime] = None) -> ReconciliationRun:
    """Run the day at once (`python -m app reconcile`): claimed with a lease as the jobs claim it, so it never
    runs beside a job's run of the same day (ReconciliationBusy)."""
    now = now or now_utc()
    run = await ensure_run(day, None)
    free = ReconciliationRun.filter(Q(id=run.id), ~Q(status=RUNNING) | Q(next_attempt_at__lte=now))  # lease over
    claims = await claim(free, {}, now, lease_s=LEASE_S, order_by="id", limit=1, field="next_attempt_at",
                         also={"status": RUNNING})
    if not claims:
        raise ReconciliationBusy(day.isoformat())
    await run_claimed(deps, run.id, claims[0].lease_until)
    return await ReconciliationRun.get(id=run.id)


def _guarded(run_id: str, lease_until: datetime, connection: Optional[BaseDBAsyncClient] = None):
    """Every write of a run is conditional on its lease: one that lost it (it outlived the lease) changes nothing."""
    query = ReconciliationRun.filter(id=run_id, next_attempt_at=lease_until)
    return query.using_db(connection) if connection is not None else query


async def run_claimed(deps: Deps, run_id: str, lease_until: datetime) -> str:
    """Reconcile the claimed run's day; answers its new status (or `stale` when the claim was lost)."""
    run = await ReconciliationRun.get_or_none(id=run_id, next_attempt_at=lease_until)
    if run is None:
        return "stale"
    await _guarded(run.id, lease_until).update(status=RUNNING, attempts=F("attempts") + 1, started_at=now_utc())
    # Our side first, then the bill: a payment made in between is in the bill only, and is then looked up by its
    # out_trade_no (found paid); read the other way round it would look missing from the bill.
    books = Books(await repository.payments_of(run.bill_date), await repository.refunds_of(run.bill_date))
    provider = bill_provider(deps.payments)
    try:
        rows, sha1 = await _fetch(provider, run.bill_date)
    except (PaymentProviderError, BillRefused, BillFormatError) as exc:
        return await _failed(run, lease_until, _reason(exc))
    books.other_payments = await repository.payments_named(
        {row.out_trade_no for row in rows if not row.is_refund} - {p.out_trade_no for p in books.payments})
    books.other_refunds = await repository.refunds_named(
        {row.out_refund_no or "" for row in rows if row.is_refund} - {r.out_refund_no for r in books.refunds})
    comparison = await asyncio.to_thread(compare, rows, books)
    settled = {found.key: await _settle(deps.payments, found) for found in comparison.differences
               if found.kind == MISSING_LOCAL}
    return await _record(run, lease_until, comparison, settled, sha1, provider.name)


async def _fetch(provider: PaymentProvider, day: date) -> tuple[Sequence[BillRow], Optional[str]]:
    """The day's ALL bill as rows and its SHA1; a day WeChat has no bill for (NO_STATEMENT_EXIST) is an empty one."""
    try:
        bill = await provider.trade_bill(day, "ALL")
        content = await provider.download_bill(bill)
    except ProviderRejected as exc:
        if exc.code == NO_BILL:
            return (), None
        raise
    # A big day's bill takes seconds to hash and parse: not on the event loop.
    return await asyncio.to_thread(_checked_rows, content, bill)


def _checked_rows(content: bytes, bill: BillDownload) -> tuple[Sequence[BillRow], str]:
    """The rows of a bill whose SHA1 is the one WeChat published with its download_url (APIv2 publishes none)."""
    sha1 = hashlib.sha1(content).hexdigest()  # noqa: S324 - WeChat's choice of hash
    if bill.hash_type and bill.hash_type.upper() != "SHA1":
        raise BillRefused(f"hash_type {bill.hash_type[:20]} is not SHA1")
    if bill.hash_type and not hmac.compare_digest(sha1, (bill.hash_value or "").strip().lower()):
        raise BillRefused(f"the file's SHA1 {sha1} is not the published {(bill.hash_value or '')[:40]}")
    return parse_trade_bill(content).rows, sha1


def _reason(exc: Exception) -> str:
    if isinstance(exc, BillRefused):
        return f"hash_mismatch: {exc}"
    if isinstance(exc, BillFormatError):
        return f"bill_unreadable: {exc}"
    if isinstance(exc, ProviderRejected):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, ProviderUnavailable):
        return f"provider_unavailable: {exc.reason}"
    return type(exc).__name__


async def _settle(payments: Payments, found: Found) -> str:
    """Paid at WeChat, not recorded here: ask WeChat Pay (never act on the bill alone), then settle as any
    notification would be: PAID, or paid_after_close (recorded, flagged and refunded), or flagged."""
    order = await Order.get_or_none(id=found.order_id) if found.order_id else None
    if order is None:
        return "unknown_order"
    try:
        result = await payments.for_order(order).query(order.out_trade_no)
    except PaymentProviderError as exc:
        log.info("reconciliation could not query", extra={"fields": {"order_id": order.id, "cause": str(exc)}})
        return QUERY_UNAVAILABLE
    outcome = await settle(payments, result, CAUSE)
    log.warning("reconciliation settled a payment not recorded here",
                extra={"fields": {"order_id": order.id, "result": outcome.result}})
    return outcome.result


def retry_at(day: date, failures: int, now: datetime) -> Optional[datetime]:
    """When to try a day again after `failures` attempts in a row that did not finish; None once WeChat no
    longer keeps its bill."""
    if (china_today(now) - day).days > KEPT_DAYS:
        return None
    return now + timedelta(seconds=RETRY_S[min(failures, len(RETRY_S)) - 1])


async def _failed(run: ReconciliationRun, lease_until: datetime, reason: str) -> str:
    """Nothing compared: the previous result of the day (if any) stays, and the jobs try again later."""
    now, failures = now_utc(), run.failures + 1
    await _guarded(run.id, lease_until).update(status=FAILED, failures=failures, last_error=reason[:200],
                                               next_attempt_at=retry_at(run.bill_date, failures, now), finished_at=now)
    log.warning("reconciliation failed", extra={"fields": {"day": run.bill_date.isoformat(), "reason": reason[:200],
                                                           "failures": failures}})
    return FAILED


async def _record(run: ReconciliationRun, lease_until: datetime, comparison: Comparison, settled: dict[str, str],
                  sha1: Optional[str], api: str) -> str:
    """The comparison replaces the day's result in one transaction, guarded by the lease. A missing_local whose
    query failed leaves the run due again on the backoff."""
    now = now_utc()
    unsettled = sorted(key for key, result in settled.items() if result == QUERY_UNAVAILABLE)
    failures = run.failures + 1 if unsettled else 0
    remote, local = comparison.remote, comparison.local
    async with in_transaction() as connection:
        if not await _guarded(run.id, lease_until, connection).update(
                status=DONE, failures=failures, finished_at=now, compared_at=now, api=api, bill_sha1=sha1,
                next_attempt_at=retry_at(run.bill_date, failures, now) if unsettled else None,
                last_error=f"settlement_unavailable: {', '.join(unsettled)}"[:200] if unsettled else None,
                remote_payments=remote.payments, remote_paid_fen=remote.paid_fen, remote_refunds=remote.refunds,
                remote_refunded_fen=remote.refunded_fen, local_payments=local.payments, local_paid_fen=local.paid_fen,
                local_refunds=local.refunds, local_refunded_fen=local.refunded_fen):
            return "stale"
        new_kinds = await _replace_differences(connection, run.id, comparison.differences, settled, now)
    for kind in new_kinds:
        metrics.count_reconciliation_difference(kind)
    log.info("reconciliation done", extra={"fields": {
        "day": run.bill_date.isoformat(), "differences": len(comparison.differences), "new": len(new_kinds)}})
    return DONE


def _settled_resolution(settlement: Optional[str], now: datetime) -> dict[str, Any]:
    note = SETTLED_NOTES.get(settlement or "")
    return {"resolved_at": now, "resolved_by": CAUSE, "note": note} if note else {}


async def _replace_differences(connection: BaseDBAsyncClient, run_id: str, found: list[Found],
                               settled: dict[str, str], now: datetime) -> list[str]:
    """Differences found again keep their row (id, first found, resolution); new ones are added; those not found
    again are gone. Answers the kinds of the new ones."""
    existing = {(d.kind, d.key): d for d in await ReconciliationDifference.filter(run_id=run_id).using_db(connection)}
    new_kinds = []
    for item in found:
        settlement = settled.get(item.key) if item.kind == MISSING_LOCAL else None
        sides = {"out_trade_no": item.out_trade_no, "order_id": item.order_id, "remote": item.remote,
                 "local": item.local, "settlement": settlement, "seen_at": now}
        before = existing.pop((item.kind, item.key), None)
        if before is None:
            await ReconciliationDifference.create(id=new_id("rdf"), run_id=run_id, kind=item.kind, key=item.key,
                                                  found_at=now, **sides, **_settled_resolution(settlement, now),
                                                  using_db=connection)
            new_kinds.append(item.kind)
        else:
            resolution = _settled_resolution(settlement, now) if before.resolved_at is None else {}
            await ReconciliationDifference.filter(id=before.id).using_db(connection).update(**sides, **resolution)
    if existing:
        await ReconciliationDifference.filter(id__in=[d.id for d in existing.values()]).using_db(connection).delete()
    return new_kinds


# -- operators --------------------------------------------------------------------------------------------


async def resolve(operator_id: str, difference_id: str, note: str) -> ReconciliationDifference:
    """Mark a difference resolved with the operator's note, once (a second resolve is refused, the first note
    kept), audit-logged in the same transaction."""
    async with in_transaction() as connection:
        difference = await ReconciliationDifference.filter(id=difference_id).using_db(connection).first()
        if difference is None:
            raise NotFound()
        resolved_at = now_utc()
        if not await ReconciliationDifference.filter(id=difference.id, resolved_at=None).using_db(connection).update(
                resolved_at=resolved_at, resolved_by=operator_id, note=note):
            raise AppError("DIFFERENCE_ALREADY_RESOLVED", resolved_by=difference.resolved_by)
        what = {"kind": difference.kind, "key": difference.key, "out_trade_no": difference.out_trade_no}
        await audit.record(connection, operator_id, "reconciliation.resolve", "reconciliation_difference",
                           difference.id, {**what, "resolved": False}, {**what, "resolved": True, "note": note})
    return await ReconciliationDifference.get(id=difference_id)


@dataclass(frozen=True)
class DayView:
    """A day as operators read it: its run (None before any), the `(kind, resolved)` of each of its differences,
    and up to limit+1 of them (for `core.http.page`)."""

    run: Optional[ReconciliationRun]
    counts: list[tuple[str, bool]] = field(default_factory=list)
    differences: list[ReconciliationDifference] = field(default_factory=list)


async def day_view(day: date, limit: int, after_id: Optional[str], *, kind: Optional[str] = None,
                   resolved: Optional[bool] = None) -> DayView:
    """The day's run with its counts, and a page of its differences."""
    run = await repository.run_of(day)
    if run is None:
        return DayView(None)
    return DayView(run, await repository.difference_counts(run.id),
                   await repository.differences_page(run.id, limit, after_id, kind=kind, resolved=resolved))

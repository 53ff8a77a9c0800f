"""Refund jobs: ask WeChat Pay about each PROCESSING refund on app/refunds/schedule.py's backoff until it is final.

Like the order jobs (app/orders/jobs.py), the due work is the row itself: `next_query_at`. A sweep claims a due
refund by moving it to a lease with a conditional update, so exactly one worker runs it; the job then sets
the next slot, guarded by that same lease. A refund WeChat Pay never confirmed (no `provider_refund_id`, or a
query answering "no such refund") is submitted again with the same out_refund_no, which WeChat answers with
the first refund rather than a second one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from app.core.clock import now_utc
from app.jobs import due as due_work
from app.jobs.leases import Claim, claim
from app.payments import PaymentProviderError, RefundNotFound
from app.payments.registry import Payments
from app.refunds import service
from app.refunds.models import PROCESSING, Refund
from app.refunds.schedule import LEASE_S, next_query_at

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.refunds.jobs")

__all__ = ["due", "claim_due", "run_due_refund", "oldest_due"]


def due(now: datetime):
    """The PROCESSING WeChat Pay refunds whose `next_query_at` has come."""
    return Refund.filter(status=PROCESSING, next_query_at__lte=now).exclude(provider=service.WALLET)


async def claim_due(now: datetime, limit: int = 200) -> list[Claim]:
    """Claim the PROCESSING WeChat Pay refunds due at `now`, each for one worker only, for LEASE_S seconds."""
    return await claim(due(now), {"status": PROCESSING}, now, lease_s=LEASE_S, order_by="next_query_at", limit=limit)


async def oldest_due(now: datetime) -> Optional[datetime]:
    return await due_work.oldest(due(now), "next_query_at")


async def run_due_refund(deps: Deps, refund_id: str, lease_until: datetime) -> str:
    """Query (or submit again) the claimed refund; answers what happened, for logs and tests."""
    refund = await Refund.get_or_none(id=refund_id, status=PROCESSING, next_query_at=lease_until)
    if refund is None:
        return "stale"  # finished or claimed again meanwhile
    try:
        result = await _ask(deps.payments, refund)
    except PaymentProviderError as exc:  # unreachable or refused: the next slot asks again
        log.info("refund query failed", extra={"fields": {"refund_id": refund.id, "cause": str(exc)}})
        result = "unavailable"
    attempts = refund.query_attempts + 1
    await Refund.filter(id=refund.id, status=PROCESSING, next_query_at=lease_until).update(
        query_attempts=attempts, next_query_at=next_query_at(refund.created_at, attempts, now_utc()))
    return result


async def _ask(payments: Payments, refund: Refund) -> str:
    if refund.provider_refund_id is None:
        return await _submit_again(payments, refund)
    try:
        return await service.query_and_finish(payments, refund)
    except RefundNotFound:  # WeChat Pay never took it: the same out_refund_no again
        return await _submit_again(payments, refund)


async def _submit_again(payments: Payments, refund: Refund) -> str:
    submitted, error = await service.submit(payments, refund.id)
    if error is not None:
        return "unavailable" if submitted.status == PROCESSING else "refused"
    return "submitted" if submitted.status == PROCESSING else "finished"


due_work.register(due_work.DueWork(queue="refunds", task="yijian.due_refund", claim=claim_due, run=run_due_refund,
                                   oldest_due=oldest_due))

"""The outbox (DESIGN §4): work written in the same transaction as a change, done here once by a job.

Each event is claimed before its handler runs by a conditional update on the `attempts` it was read with
that also sets a lease (`claimed_until`), and only an event whose lease is free or spent can be claimed: so
two workers never run one event at once, even one that read the event after another claimed it. It is marked
done with a conditional update after, so a done event never runs again. A handler that fails frees its lease
and leaves the event for the next sweep, up to MAX_ATTEMPTS; a worker that dies mid-handler leaves it for
whoever comes after CLAIM_S.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tortoise.expressions import F, Q

from app.orders.models import OutboxEvent
from app.orders.service import now_utc

log = logging.getLogger("yijian.outbox")

MAX_ATTEMPTS = 10
BATCH = 100
CLAIM_S = 120  # longer than any handler runs

Handler = Callable[[dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler
    return register


@handles("order.paid")
async def _order_paid(payload: dict[str, Any]) -> None:
    # Statistics and recommendation aggregates will hang here; for now the event is only acknowledged.
    log.info("order paid (outbox)", extra={"fields": {"order_id": payload.get("order_id"),
                                                      "cause": payload.get("cause")}})


def _pending(now):
    return OutboxEvent.filter(done_at=None, attempts__lt=MAX_ATTEMPTS).filter(
        Q(claimed_until=None) | Q(claimed_until__lte=now))


async def has_pending() -> bool:
    return await _pending(now_utc()).exists()


async def process_pending(limit: int = BATCH) -> int:
    """Run the handlers of undone events, oldest first; answers how many were done now."""
    done = 0
    for event in await _pending(now_utc()).order_by("id").limit(limit):
        now = now_utc()
        claimed = await _pending(now).filter(id=event.id, attempts=event.attempts).update(
            attempts=F("attempts") + 1, claimed_until=now + timedelta(seconds=CLAIM_S))
        if not claimed:
            continue  # another worker has it
        handler = HANDLERS.get(event.kind)
        try:
            if handler is None:
                raise LookupError(f"no outbox handler for {event.kind!r}")
            await handler(event.payload)
        except Exception:
            log.exception("outbox event failed", extra={"fields": {"event_id": event.id, "kind": event.kind,
                                                                   "attempt": event.attempts + 1}})
            await OutboxEvent.filter(id=event.id, attempts=event.attempts + 1).update(claimed_until=None)
            continue
        if await OutboxEvent.filter(id=event.id, done_at=None).update(done_at=now_utc()):
            done += 1
    return done

"""The outbox (DESIGN §4): work written in the same transaction as a change, done here once by a job.

Each event is claimed with a conditional update on its `attempts` before its handler runs and marked done
with a conditional update after, so two workers never run one event at once and a done event never runs
again. A handler that fails leaves the event for the next sweep, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.expressions import F

from app.orders.models import OutboxEvent
from app.orders.service import now_utc

log = logging.getLogger("yijian.outbox")

MAX_ATTEMPTS = 10
BATCH = 100

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


async def has_pending() -> bool:
    return await OutboxEvent.filter(done_at=None, attempts__lt=MAX_ATTEMPTS).exists()


async def process_pending(limit: int = BATCH) -> int:
    """Run the handlers of undone events, oldest first; answers how many were done now."""
    done = 0
    for event in await OutboxEvent.filter(done_at=None, attempts__lt=MAX_ATTEMPTS).order_by("id").limit(limit):
        claimed = await OutboxEvent.filter(id=event.id, done_at=None, attempts=event.attempts).update(
            attempts=F("attempts") + 1)
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
            continue
        if await OutboxEvent.filter(id=event.id, done_at=None).update(done_at=now_utc()):
            done += 1
    return done

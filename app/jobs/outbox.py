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
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q

from app.core.clock import now_utc
from app.core.security import new_id
from app.jobs import sql
from app.jobs.models import AppliedEvent, OutboxEvent

if TYPE_CHECKING:  # the container is built above this layer; jobs only hand it on
    from app.deps import Deps

log = logging.getLogger("yijian.outbox")

MAX_ATTEMPTS = 10
BATCH = 100
CLAIM_S = 120  # longer than any handler runs

Handler = Callable[..., Awaitable[None]]  # handler(payload), or handler(deps, payload) when registered with_deps


@dataclass(frozen=True)
class Consumer:
    handler: Handler
    with_deps: bool

    async def __call__(self, deps: Optional[Deps], payload: dict[str, Any]) -> None:
        await (self.handler(deps, payload) if self.with_deps else self.handler(payload))


HANDLERS: dict[str, list[Consumer]] = {}


def handles(kind: str, *, with_deps: bool = False) -> Callable[[Handler], Handler]:
    """Register a consumer of `kind`: `handler(payload)`, or `handler(deps, payload)` with `with_deps` (a consumer
    that talks to a provider, say). Every consumer runs on every attempt (see `first_application`)."""
    def register(handler: Handler) -> Handler:
        HANDLERS.setdefault(kind, []).append(Consumer(handler, with_deps))
        return handler
    return register


async def emit(connection: BaseDBAsyncClient, kind: str, payload: dict[str, Any]) -> OutboxEvent:
    """Write an event in the caller's transaction; its payload gains a unique `event_id`."""
    return await OutboxEvent.create(kind=kind, payload={**payload, "event_id": new_id("evt")}, using_db=connection)


async def first_application(connection: BaseDBAsyncClient, consumer: str, payload: dict[str, Any]) -> bool:
    """True the first time `consumer` applies this event; call it inside the transaction that applies it, so the
    record and the effect commit (or roll back) together. Events without an `event_id` are always applied."""
    event_id = payload.get("event_id")
    if not isinstance(event_id, str):
        return True
    # One statement that does nothing on a duplicate (app/jobs/sql.py), so it never aborts the caller's transaction.
    return await sql.mark_applied(connection, consumer, event_id, now_utc())


async def record_applications(connection: BaseDBAsyncClient, consumer: str, event_ids: Iterable[str]) -> None:
    """Mark these events applied by `consumer` (those already marked stay so), in the caller's transaction: a
    backfill that applied them itself, so that `first_application` refuses them later."""
    await AppliedEvent.bulk_create([AppliedEvent(consumer=consumer, event_id=event_id) for event_id in event_ids],
                                   ignore_conflicts=True, using_db=connection, batch_size=BATCH)


def undone():
    """Events not done that will still be tried, those whose handler runs now included."""
    return OutboxEvent.filter(done_at=None, attempts__lt=MAX_ATTEMPTS)


def _pending(now):
    return undone().filter(Q(claimed_until=None) | Q(claimed_until__lte=now))


async def has_pending() -> bool:
    return await _pending(now_utc()).exists()


async def process_backlog(deps: Optional[Deps] = None, budget_s: float = 5.0) -> int:
    """`process_pending` batch after batch while each comes back whole (every event done), for at most about
    `budget_s` seconds: a sweep keeps up with more than BATCH events a period. A batch with an event that failed,
    was skipped or was taken by another worker ends the run, so a failing event is never retried in a loop."""
    done, started = 0, time.monotonic()
    while True:
        ran = await process_pending(deps)
        done += ran
        if ran < BATCH or time.monotonic() - started >= budget_s:
            return done


async def process_pending(deps: Optional[Deps] = None, limit: int = BATCH) -> int:
    """Run the handlers of undone events, oldest first; answers how many were done now. Without `deps` (a test
    running the outbox itself), events that a consumer `with_deps` handles are left for the engine, unclaimed."""
    done = 0
    for event in await _pending(now_utc()).order_by("id").limit(limit):
        if deps is None and any(consumer.with_deps for consumer in HANDLERS.get(event.kind, ())):
            continue
        now = now_utc()
        claimed = await _pending(now).filter(id=event.id, attempts=event.attempts).update(
            attempts=F("attempts") + 1, claimed_until=now + timedelta(seconds=CLAIM_S))
        if not claimed:
            continue  # another worker has it
        handlers = HANDLERS.get(event.kind)
        try:
            if not handlers:
                raise LookupError(f"no outbox handler for {event.kind!r}")
            for consumer in handlers:
                await consumer(deps, event.payload)
        except Exception:
            log.exception("outbox event failed", extra={"fields": {"event_id": event.id, "kind": event.kind,
                                                                   "attempt": event.attempts + 1}})
            await OutboxEvent.filter(id=event.id, attempts=event.attempts + 1).update(claimed_until=None)
            continue
        if await OutboxEvent.filter(id=event.id, done_at=None).update(done_at=now_utc()):
            done += 1
    return done

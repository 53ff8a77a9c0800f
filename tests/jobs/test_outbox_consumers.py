"""Several consumers of one outbox event kind: each applies an event once, however often the event is run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.jobs import outbox
from app.jobs.models import AppliedEvent
from app.jobs.models import OutboxEvent
from tests.jobs.helpers import wait_until


async def _emit(kind: str, payload: dict) -> OutboxEvent:
    async with in_transaction() as connection:
        return await outbox.emit(connection, kind, payload)


async def _done(event_id: int) -> bool:
    return (await OutboxEvent.get(id=event_id)).done_at is not None


async def test_emit_gives_every_event_its_own_event_id():
    first, second = await _emit("test.ids", {"n": 1}), await _emit("test.ids", {"n": 1})
    assert first.payload["n"] == 1
    assert first.payload["event_id"].startswith("evt_")
    assert first.payload["event_id"] != second.payload["event_id"]
    await OutboxEvent.filter(id__in=[first.id, second.id]).update(done_at=first.created_at)


async def test_first_application_is_true_once_per_consumer_even_when_asked_concurrently():
    payload = {"event_id": f"evt_{id(object())}"}

    async def apply(consumer: str) -> bool:
        async with in_transaction() as connection:
            return await outbox.first_application(connection, consumer, payload)

    results = await asyncio.gather(*(apply("test.a") for _ in range(20)), *(apply("test.b") for _ in range(20)))
    assert results[:20].count(True) == 1
    assert results[20:].count(True) == 1
    assert await AppliedEvent.filter(event_id=payload["event_id"]).count() == 2


async def test_a_duplicate_leaves_the_callers_transaction_usable_and_a_rollback_forgets_the_application():
    payload = {"event_id": f"evt_rb{id(object())}"}
    async with in_transaction() as connection:
        assert await outbox.first_application(connection, "test.c", payload)
        assert not await outbox.first_application(connection, "test.c", payload)
        # The duplicate did not abort the transaction: it still reads and writes.
        assert await AppliedEvent.filter(event_id=payload["event_id"]).using_db(connection).count() == 1
    try:
        async with in_transaction() as connection:
            assert await outbox.first_application(connection, "test.d", payload)
            raise RuntimeError("the consumer's update failed")
    except RuntimeError:
        pass
    async with in_transaction() as connection:  # rolled back with the failed update: applied next time
        assert await outbox.first_application(connection, "test.d", payload)


async def test_an_application_is_stored_with_its_time_as_the_orm_reads_it():
    # first_application writes its row with SQL of its own (app/jobs/sql.py): the ORM must read it back whole.
    payload = {"event_id": f"evt_at{id(object())}"}
    before = now_utc()
    async with in_transaction() as connection:
        assert await outbox.first_application(connection, "test.at", payload)
    row = await AppliedEvent.get(consumer="test.at", event_id=payload["event_id"])
    assert before - timedelta(seconds=1) <= row.applied_at <= now_utc() + timedelta(seconds=1)


async def test_every_consumer_of_a_kind_applies_an_event_once_when_one_of_them_fails_at_first():
    applied: dict[str, list[int]] = {"steady": [], "flaky": []}
    failures = []

    def consumer(name: str, fail_first: bool):
        async def handle(payload):
            async with in_transaction() as connection:
                if not await outbox.first_application(connection, f"test.{name}", payload):
                    return
                if fail_first and not failures:
                    failures.append(name)
                    raise RuntimeError("first attempt fails after the steady consumer applied the event")
                applied[name].append(payload["n"])
        return handle

    outbox.handles("test.fanout")(consumer("steady", False))
    outbox.handles("test.fanout")(consumer("flaky", True))
    try:
        event = await _emit("test.fanout", {"n": 7})
        await outbox.process_pending()
        await wait_until(lambda: _done(event.id))  # the engine's sweeps retry the event
        await asyncio.gather(*(outbox.process_pending() for _ in range(3)))
        assert applied == {"steady": [7], "flaky": [7]}
        assert failures == ["flaky"]
        assert (await OutboxEvent.get(id=event.id)).attempts == 2
    finally:
        outbox.HANDLERS.pop("test.fanout", None)

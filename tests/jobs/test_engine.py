"""The job engine: due work kept in the database survives a stop, and the outbox runs each event once."""

from __future__ import annotations

import asyncio

from app.core.clock import now_utc
from app.jobs import outbox, runner
from app.jobs.engine import JobEngine
from app.jobs.models import OutboxEvent
from app.orders.models import Order
from tests.jobs.helpers import make_due, status_of, wait_until
from tests.notify.helpers import pay, wechat_order


async def test_work_that_fell_due_while_the_engine_was_stopped_is_done_after_a_restart(client, server):
    app = server.app
    await runner.stop(app)
    try:
        made = await wechat_order(client)
        expired, lost = made["order"]["id"], await wechat_order(client)
        await make_due(expired, expired=True)
        await make_due(lost["order"]["id"], expired=True)
        await Order.filter(id=lost["order"]["id"]).update(next_query_at=None)  # as if the prepay never came back
        await asyncio.sleep(1.5)  # more than a sweep period: nothing runs without an engine
        assert await status_of(expired) == "PAYING"
    finally:
        await runner.start(app)  # a fresh engine; nothing is rebuilt from memory, the sweep reads the database
    await wait_until(lambda: _closed(expired, lost["order"]["id"]))


async def test_every_server_process_may_sweep_but_one_sweep_runs_per_period(server):
    engines = [JobEngine(server.app.ctx.deps, server.app.ctx.jobs_config) for _ in range(3)]
    await server.app.ctx.deps.redis.delete("yijian:jobs:sweep-lock")
    ran = []
    for engine in engines:
        async def sweep_once(now, engine=engine):
            ran.append(engine)
            return 0
        engine.sweep_once = sweep_once
    await asyncio.gather(*(engine._run_sweep() for engine in engines))
    assert len(ran) == 1
    for engine in engines:
        await engine.broker.shutdown()


async def test_paid_order_outbox_event_is_done_by_the_engine(client):
    made = await wechat_order(client)
    await pay(client, made["prepay_id"])
    order_id = made["order"]["id"]

    async def done():
        events = [e for e in await OutboxEvent.filter(kind="order.paid") if e.payload.get("order_id") == order_id]
        return events and all(e.done_at is not None for e in events) and events

    [event] = await wait_until(done)
    assert event.attempts == 1


async def test_an_outbox_event_runs_once_even_when_processed_concurrently():
    calls = []

    @outbox.handles("test.counted")
    async def counted(payload):
        calls.append(payload["n"])
        await asyncio.sleep(0.05)

    try:
        event = await OutboxEvent.create(kind="test.counted", payload={"n": 1})
        await asyncio.gather(*(outbox.process_pending() for _ in range(5)))
        await wait_until(lambda: _done(event.id))
        await outbox.process_pending()  # done events are never run again
        assert calls == [1]
    finally:
        outbox.HANDLERS.pop("test.counted", None)


async def test_an_outbox_event_being_handled_is_not_taken_by_a_worker_that_reads_it_meanwhile():
    calls = []

    @outbox.handles("test.claimed")
    async def claimed(payload):
        calls.append(payload["n"])
        if len(calls) == 1:
            # Another worker reads the outbox now, after this one claimed the event: it must leave it alone.
            await outbox.process_pending()

    try:
        event = await OutboxEvent.create(kind="test.claimed", payload={"n": 1})
        await outbox.process_pending()
        await wait_until(lambda: _done(event.id))
        assert calls == [1]
    finally:
        outbox.HANDLERS.pop("test.claimed", None)


async def test_a_failing_outbox_handler_is_retried_later():
    attempts = []

    @outbox.handles("test.flaky")
    async def flaky(payload):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first time fails")

    try:
        event = await OutboxEvent.create(kind="test.flaky", payload={})
        await wait_until(lambda: _done(event.id))  # the engine's next sweeps pick it up again
        assert len(attempts) == 2
        assert (await OutboxEvent.get(id=event.id)).attempts == 2
    finally:
        outbox.HANDLERS.pop("test.flaky", None)


async def _closed(*order_ids: str) -> bool:
    return all([await status_of(order_id) == "CLOSED" for order_id in order_ids])


async def _done(event_id: int) -> bool:
    return (await OutboxEvent.get(id=event_id)).done_at is not None


async def test_one_outbox_run_keeps_going_while_its_batches_come_back_whole(server):
    """More than a batch waiting: one run does them all (a run of one batch a sweep fell behind at 100 events a
    second); a failing event ends the run instead of being retried in a loop."""
    calls, failures = [], []

    @outbox.handles("test.backlog")
    async def backlog(payload):
        calls.append(payload["n"])

    @outbox.handles("test.backlog_fails")
    async def fails(payload):
        failures.append(1)
        raise RuntimeError("always fails")

    await runner.stop(server.app)  # the session's engine would share the events with this test's run
    try:
        deps = server.app.ctx.deps
        await outbox.process_backlog(deps, budget_s=60)  # what other tests left waiting, applied as the engine would
        await OutboxEvent.filter(done_at=None).update(done_at=now_utc())  # and what keeps failing, out of the way
        await OutboxEvent.bulk_create([OutboxEvent(kind="test.backlog", payload={"n": n})
                                       for n in range(outbox.BATCH * 2 + 50)])
        assert await outbox.process_backlog(deps, budget_s=60) == outbox.BATCH * 2 + 50
        assert sorted(calls) == list(range(outbox.BATCH * 2 + 50))
        assert not await OutboxEvent.filter(kind="test.backlog", done_at=None).exists()

        await OutboxEvent.create(kind="test.backlog_fails", payload={})
        await OutboxEvent.bulk_create([OutboxEvent(kind="test.backlog", payload={"n": -1}) for _ in range(150)])
        # the first batch holds the failing event: 99 done, then the run ends (the failure met once, not looped on)
        assert await outbox.process_backlog(deps, budget_s=60) == outbox.BATCH - 1
        assert failures == [1]
        assert await OutboxEvent.filter(kind="test.backlog", done_at=None).count() == 150 - (outbox.BATCH - 1)
    finally:
        outbox.HANDLERS.pop("test.backlog", None)
        outbox.HANDLERS.pop("test.backlog_fails", None)
        await OutboxEvent.filter(kind__in=["test.backlog", "test.backlog_fails"], done_at=None).update(done_at=now_utc())
        await runner.start(server.app)

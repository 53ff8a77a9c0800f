"""The Redis counters and their fold: every count reaches the rollup exactly once, folds racing or dying midway."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timezone

from tortoise.transactions import in_transaction

from app.core.clock import CHINA_TZ
from app.core.security import new_id
from app.jobs import outbox, runner
from app.jobs.models import OutboxEvent
from app.stats import counters, jobs as stats_jobs, repository
from app.stats.figures import local_day
from app.stats.models import StatsDay
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.stats.helpers import drained, fresh, isolated_days


def _noon(day) -> datetime:
    return datetime.combine(day, time(12), CHINA_TZ).astimezone(timezone.utc)


async def _quotes(day) -> int:
    row = await StatsDay.get_or_none(day=day)
    return (row.figures if row else {}).get("quotes", 0)


async def test_concurrent_counts_and_folds_count_each_quote_once(server):
    redis = server.app.ctx.deps.redis
    [day] = isolated_days(1)
    await fresh([day])

    async def count_some(n):
        for _ in range(n):
            await counters.count(redis, "quotes", _noon(day))
            await asyncio.sleep(0)

    await asyncio.gather(*(count_some(40) for _ in range(5)), *(counters.fold(redis) for _ in range(5)))
    await asyncio.gather(*(counters.fold(redis) for _ in range(5)))
    assert await _quotes(day) == 200
    assert not [key async for key in redis.scan_iter(match="yijian:stats:*") if key.endswith(day.isoformat())]


async def test_a_fold_that_died_is_finished_by_the_next_one_and_never_counted_twice(server):
    redis = server.app.ctx.deps.redis
    applied_day, unapplied_day = isolated_days(2)
    await fresh([applied_day, unapplied_day])
    died_after, died_before = new_id("fold"), new_id("fold")
    await runner.stop(server.app)  # the session's engine folds every 15 s: not while this test plays the folds
    try:
        for day, n in ((applied_day, 3), (unapplied_day, 4)):
            for _ in range(n):
                await counters.count(redis, "quotes", _noon(day))
        # one fold died after its transaction committed (its taken key left behind), another before it began
        await redis.rename(f"{counters.COUNTING}{applied_day}", f"{counters.TAKEN}{died_after}:{applied_day}")
        await redis.rename(f"{counters.COUNTING}{unapplied_day}", f"{counters.TAKEN}{died_before}:{unapplied_day}")
        async with in_transaction() as connection:
            assert await outbox.first_application(connection, counters.CONSUMER, {"event_id": died_after})
            await repository.add(connection, {applied_day: {"quotes": 3}})

        await counters.fold(redis)
        await counters.fold(redis)
    finally:
        await runner.start(server.app)
    assert (await _quotes(applied_day), await _quotes(unapplied_day)) == (3, 4)
    assert not await redis.exists(f"{counters.TAKEN}{died_after}:{applied_day}",
                                  f"{counters.TAKEN}{died_before}:{unapplied_day}")


async def test_concurrent_events_of_one_day_lose_no_count(server):
    """The day's row is locked before it is read: many consumers adding at once add up."""
    [day] = isolated_days(1)
    await fresh([day])

    async def add_one(n):
        async with in_transaction() as connection:
            await repository.add(connection, {day: {"orders": 1, "gmv_fen": n}})

    await asyncio.gather(*(add_one(n) for n in range(1, 31)))
    row = await StatsDay.get(day=day)
    assert (row.figures["orders"], row.figures["gmv_fen"]) == (30, sum(range(1, 31)))


async def test_an_event_run_again_counts_once(client, server):
    """A consumer run twice at once, the outbox running the event again, and the same order in another event."""
    tea = await product(client, price_fen=600, stock=10)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    made = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert made.status_code == 201, made.text
    await drained(server)
    [event] = [e for e in await OutboxEvent.filter(kind="order.created").order_by("-id").limit(20)
               if e.payload["order_id"] == made.json()["order"]["id"]]
    counted = await StatsDay.get(day=local_day(event.payload["at"]))

    await asyncio.gather(*(stats_jobs.on_order_created(event.payload) for _ in range(5)))
    await OutboxEvent.filter(id=event.id).update(done_at=None, attempts=0, claimed_until=None)
    await drained(server)
    assert (await StatsDay.get(id=counted.id)).figures["orders"] == counted.figures["orders"]


async def test_a_process_tally_reaches_the_rollup_once_whether_sent_by_its_timer_or_at_stop(server):
    """The server counts quotes in memory (no Redis round trip of their own) and sends them: every second, and
    once more when it stops. Counts sent while folds run still land once."""
    redis = server.app.ctx.deps.redis
    [day] = isolated_days(1)
    await fresh([day])
    tally = counters.Tally(redis)
    tally.start()
    for _ in range(7):
        tally.add("quotes", _noon(day))
    await asyncio.sleep(counters.FLUSH_S * 2.5)  # sent by its own timer
    await counters.fold(redis)
    assert await _quotes(day) == 7
    for _ in range(5):
        tally.add("quotes", _noon(day))
    await tally.stop()  # the rest sent at stop, not lost
    await counters.fold(redis)
    await counters.fold(redis)
    assert await _quotes(day) == 12

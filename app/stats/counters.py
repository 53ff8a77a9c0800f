"""Counters of what writes nothing to the database (quotes answered 200), in Redis per Asia/Shanghai day, folded
into the rollups by a job, each count exactly once.

Counting is one HINCRBY on the day's hash. A quote counts in this process first (`Tally`): the counts are sent
every FLUSH_S seconds in one pipeline, so a quote makes no Redis round trip of its own (issue 14: everything a
quote asks of Redis is one round trip, its versions). A process killed between two flushes loses at most that
second's quotes; one stopped cleanly sends them. A fold takes a day's hash whole by RENAME (atomic: a count made after
it lands in a new hash, for the next fold) to a key naming a fresh fold id, adds its counts to the rollup in one
transaction with `outbox.first_application(fold id)`, then deletes the taken key. A fold that dies between the
two leaves the taken key behind; the next fold applies it, and the fold id refuses it if it had been applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date, datetime
from typing import Optional

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.security import new_id
from app.jobs import outbox
from app.stats import repository
from app.stats.figures import QUOTES, local_day

log = logging.getLogger("yijian.stats")

CONSUMER = "stats.counters"
COUNTING = "yijian:stats:counting:"  # + day: the counts since the last fold
TAKEN = "yijian:stats:taken:"  # + fold id + ":" + day: the counts a fold took
KEEP_S = 40 * 86400  # a day's counters outlive any pause of the jobs a deployment would tolerate
FLUSH_S = 1.0


async def count(redis: Optional[Redis], name: str, now: Optional[datetime] = None) -> None:
    """One more `name` today (Asia/Shanghai). A count that cannot be made is logged, never raised: the figure
    is only a little low, the request it counts is not failed for it."""
    if redis is None:
        return
    key = COUNTING + local_day(now or now_utc()).isoformat()
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, name, 1)
            pipe.expire(key, KEEP_S)
            await pipe.execute()
    except RedisError as exc:
        log.warning("statistics counter not counted", extra={"fields": {"counter": name, "cause": str(exc)}})


class Tally:
    """This process's counts not yet in Redis, sent every FLUSH_S seconds and when the server stops."""

    def __init__(self, redis: Optional[Redis]) -> None:
        self._redis = redis
        self._counts: Counter[tuple[str, str]] = Counter()  # (Asia/Shanghai day, counter name) → count
        self._task: Optional[asyncio.Task] = None

    def add(self, name: str, now: Optional[datetime] = None) -> None:
        self._counts[(local_day(now or now_utc()).isoformat(), name)] += 1

    def add_quote(self) -> None:
        """A quote answered 200 (DESIGN §6.1 `quotes`)."""
        self.add(QUOTES)

    async def flush(self) -> None:
        """Send what was counted; what Redis refuses is kept for the next flush."""
        taken, self._counts = self._counts, Counter()
        if not taken or self._redis is None:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for (day, name), value in taken.items():
                    pipe.hincrby(COUNTING + day, name, value)
                    pipe.expire(COUNTING + day, KEEP_S)
                await pipe.execute()
        except RedisError as exc:
            self._counts.update(taken)
            log.warning("statistics counts kept for the next flush", extra={"fields": {"cause": str(exc)}})

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stats-tally")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()


async def fold(redis: Redis) -> int:
    """Move every day's counts into the rollups; answers how many taken hashes were applied now."""
    async for key in redis.scan_iter(match=COUNTING + "*", count=100):
        day = key.removeprefix(COUNTING)
        try:
            await redis.rename(key, f"{TAKEN}{new_id('fold')}:{day}")
        except ResponseError:  # another fold took it first (no such key)
            continue
    applied = 0
    async for key in redis.scan_iter(match=TAKEN + "*", count=100):
        fold_id, _, day = key.removeprefix(TAKEN).partition(":")
        counts = {name: int(value) for name, value in (await redis.hgetall(key)).items()}
        async with in_transaction() as connection:
            if await outbox.first_application(connection, CONSUMER, {"event_id": fold_id}):
                await repository.add(connection, {date.fromisoformat(day): counts})
                applied += 1
        await redis.delete(key)
    return applied

"""The global version of the promotions: bumped in the database with every change, mirrored in Redis.

The database row is the truth. Redis holds a counter (`promotions:version`) that every change increments
after its commit, and a channel that announces it: a worker compares the counter with the one it loaded
at, and reloads when they differ. A counter that Redis lost starts again from the current time in
microseconds, far above any value it held before, so a worker can never mistake a new value for its own.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.promotions.models import CacheVersion

log = logging.getLogger("yijian.promotions")

NAME = "promotions"
REDIS_KEY = "promotions:version"
CHANNEL = "promotions:changed"
_ANNOUNCE_ATTEMPTS = 3


async def ensure_row() -> None:
    """Create the version row once; get_or_create survives a concurrent create."""
    await CacheVersion.get_or_create(name=NAME, defaults={"version": 0})


async def bump_in(connection: BaseDBAsyncClient) -> int:
    """Bump the database version inside the change's transaction (its row lock orders concurrent changes)."""
    await CacheVersion.filter(name=NAME).using_db(connection).update(version=F("version") + 1)
    rows = await CacheVersion.filter(name=NAME).using_db(connection).values_list("version", flat=True)
    return rows[0]


async def db_version(connection: BaseDBAsyncClient | None = None) -> int:
    query = CacheVersion.filter(name=NAME)
    if connection is not None:
        query = query.using_db(connection)
    rows = await query.values_list("version", flat=True)
    return rows[0] if rows else 0


async def start_counter(redis: Redis) -> str:
    """The Redis counter, created if Redis has none (from the current time: above any value it held before)."""
    await redis.set(REDIS_KEY, time.time_ns() // 1000, nx=True)
    return await redis.get(REDIS_KEY)


async def announce(redis: Redis) -> str | None:
    """After the commit: increment the Redis counter and publish it. Answers the new value, or None on failure.

    Call it before answering the operator, so that from then on every worker's next check sees the change.
    """
    for attempt in range(_ANNOUNCE_ATTEMPTS):
        try:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.set(REDIS_KEY, time.time_ns() // 1000, nx=True)
                pipe.incr(REDIS_KEY)
                _, value = await pipe.execute()
            await redis.publish(CHANNEL, str(value))
            return str(value)
        except Exception as exc:  # Redis down: workers fall back to the database version (see cache.py)
            log.warning("promotion change not announced", extra={"fields": {
                "attempt": attempt + 1, "error": type(exc).__name__}})
            await asyncio.sleep(0.05 * (attempt + 1))
    log.error("promotion change could not reach Redis; caches converge through their database check")
    return None

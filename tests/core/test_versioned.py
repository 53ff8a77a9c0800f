"""app/core/versioned.py: one round trip reads the deny-list and the counters; a value is served from memory only
under the counter it was loaded under, within its trust period, and never without Redis."""

from __future__ import annotations

import asyncio

import fakeredis

from app.core import versioned


def _redis():
    return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=True)


async def test_one_read_starts_missing_counters_and_sees_the_deny_list():
    redis = _redis()
    first = await versioned.read_versions(redis, "deny:s1", ["a", "b"])
    assert first.exists is False and first.get("a") and first.get("b")
    await redis.set("deny:s1", "logout")
    await versioned.announce(redis, "a")
    second = await versioned.read_versions(redis, "deny:s1", ["a", "b"])
    assert second.exists is True
    assert int(second.get("a")) == int(first.get("a")) + 1 and second.get("b") == first.get("b")


async def test_a_counter_redis_lost_starts_above_any_value_it_held():
    redis = _redis()
    before = await versioned.read_versions(redis, "deny", ["a"])
    await redis.flushdb()
    after = await versioned.read_versions(redis, "deny", ["a"])
    assert int(after.get("a")) > int(before.get("a"))


async def test_values_are_served_only_under_their_counter_and_within_their_trust_period():
    cache = versioned.VersionedCache[str, int]("test", lambda key: f"c:{key}", max_trust_s=0.2)
    loads = []

    async def load(value: int):
        loads.append(value)
        return value

    assert await cache.get("k", "1", lambda: load(1)) == 1
    assert await cache.get("k", "1", lambda: load(2)) == 1  # from memory
    assert await cache.get("k", "2", lambda: load(3)) == 3  # another counter: reloaded
    assert await cache.get("k", None, lambda: load(4)) == 4  # no Redis: the database decides
    assert await cache.get("k", "2", lambda: load(5)) == 3  # ... and nothing it read was kept
    await asyncio.sleep(0.25)
    assert await cache.get("k", "2", lambda: load(6)) == 6  # past the trust period
    cache.drop_counter("c:k")
    assert await cache.get("k", "2", lambda: load(7)) == 7  # an announcement dropped it
    assert loads == [1, 3, 4, 6, 7]


async def test_a_change_announced_in_a_transaction_waits_for_its_commit():
    redis, previous = _redis(), versioned._redis  # the session server's client, given back after
    versioned.install(redis)
    try:
        start = int((await versioned.read_versions(redis, "deny", ["x"])).get("x"))
        token = versioned.transaction_opened()
        await versioned.after_commit("x")
        assert int(await redis.get("x")) == start  # not yet: the transaction is still open
        await versioned.transaction_closed(token, committed=True)
        assert int(await redis.get("x")) == start + 1
        token = versioned.transaction_opened()
        await versioned.after_commit("x")
        await versioned.transaction_closed(token, committed=False)  # rolled back: nothing to announce
        assert int(await redis.get("x")) == start + 1
    finally:
        versioned.install(previous)

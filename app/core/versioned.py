"""In-process caches confirmed by version counters in Redis and invalidated across workers by pub/sub (DESIGN §1).

The pattern of app/promotions/cache.py, for any number of caches and keys:
- Every change commits in the database first, then increments its counter in Redis and publishes the counter's
  name (`announce`), before the change is answered. So from the moment a write returns, the next read on any
  worker sees a counter other than the one its entry was loaded under, and reloads.
- A request reads every counter it depends on, and the token deny-list, in ONE round trip (`read_versions`, a
  Lua script). A counter Redis lost starts again from the current time in microseconds, above any value it held.
- Pub/sub only drops entries early (memory, and a reload off the next request's path); the counter read is what
  makes a change visible, since a message can arrive late and the read cannot.
- An entry is trusted at most `max_trust_s` seconds, which bounds staleness if a writer ever failed to reach a
  Redis that the readers can reach; without Redis (`token` None) nothing is cached: the database decides.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Generic, Optional, TypeVar

from redis.asyncio import Redis

log = logging.getLogger("yijian.cache")

CHANNEL = "versions:changed"
MAX_TRUST_S = 5.0
REDIS_TIMEOUT_S = 0.25
_ANNOUNCE_ATTEMPTS = 3

# KEYS[1]: a key whose existence is asked (the token deny-list), KEYS[2..]: counters, started when missing.
_READ = """
local out = {redis.call('EXISTS', KEYS[1])}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v then
    redis.call('SET', KEYS[i], ARGV[1], 'NX')
    v = redis.call('GET', KEYS[i])
  end
  out[i] = v
end
return out
"""


_script = None  # redis-py's Script: its SHA is the same for every client it is called with


@dataclass(frozen=True)
class Versions:
    """What one request read from Redis: whether `exists_key` exists, and each counter's value."""

    exists: bool
    tokens: dict[str, str]

    def get(self, key: str) -> Optional[str]:
        return self.tokens.get(key)


async def read_versions(redis: Redis, exists_key: str, counters: Iterable[str]) -> Versions:
    """One round trip: EXISTS `exists_key` and GET each counter (started if missing). Raises if Redis fails."""
    keys = [exists_key, *counters]
    global _script
    if _script is None:  # EVALSHA, loading the script again on any client that does not know it yet
        _script = redis.register_script(_READ)
    async with asyncio.timeout(REDIS_TIMEOUT_S * 4):
        values = await _script(keys=keys, args=[time.time_ns() // 1000], client=redis)
    return Versions(bool(int(values[0])), {key: str(value) for key, value in zip(keys[1:], values[1:])})


async def announce(redis: Redis, *counters: str) -> bool:
    """After the commit, before answering: increment each counter and publish its name. False if Redis failed
    (entries then expire within MAX_TRUST_S)."""
    if not counters:
        return True
    for attempt in range(_ANNOUNCE_ATTEMPTS):
        try:
            async with redis.pipeline(transaction=True) as pipe:
                for counter in counters:
                    pipe.set(counter, time.time_ns() // 1000, nx=True)
                    pipe.incr(counter)
                for counter in counters:
                    pipe.publish(CHANNEL, counter)
                await pipe.execute()
            return True
        except Exception as exc:
            log.warning("change not announced", extra={"fields": {"attempt": attempt + 1,
                                                                   "error": type(exc).__name__}})
            await asyncio.sleep(0.05 * (attempt + 1))
    log.error("a change could not reach Redis; caches converge within their trust period")
    return False


K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    token: str
    value: V
    loaded_at: float


class VersionedCache(Generic[K, V]):
    """Values by key, each kept under the counter (`counter_of(key)`) read before it was loaded."""

    def __init__(self, name: str, counter_of: Callable[[K], str], *, max_entries: int = 100_000,
                 max_trust_s: float = MAX_TRUST_S) -> None:
        self.name, self.counter_of = name, counter_of
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._by_counter: dict[str, set[K]] = {}
        self._max_entries, self._max_trust_s = max_entries, max_trust_s
        self.hits = self.misses = 0

    async def get(self, key: K, token: Optional[str], load: Callable[[], Awaitable[V]]) -> V:
        """The value of `key` if it was loaded under `token` (and is within its trust period), else `load()`.

        The token is read before `load` runs, so the value is at least as new as the token it is kept under."""
        found, value = self.peek(key, token)
        if found:
            return value  # type: ignore[return-value]
        value = await load()
        if token is not None:
            self.put(key, token, value)
        return value

    def peek(self, key: K, token: Optional[str]) -> tuple[bool, Optional[V]]:
        """(True, value) when `key` was loaded under `token` and is still trusted; for loading many keys at once."""
        entry = self._entries.get(key)
        if token is not None and entry is not None and entry.token == token \
                and time.monotonic() - entry.loaded_at <= self._max_trust_s:
            self.hits += 1
            return True, entry.value
        self.misses += 1
        return False, None

    def put(self, key: K, token: str, value: V) -> None:
        self._entries[key] = _Entry(token, value, time.monotonic())
        self._entries.move_to_end(key)
        self._by_counter.setdefault(self.counter_of(key), set()).add(key)
        while len(self._entries) > self._max_entries:
            old, _ = self._entries.popitem(last=False)
            self._by_counter.get(self.counter_of(old), set()).discard(old)

    def drop_counter(self, counter: str) -> None:
        """Forget every entry kept under `counter` (a change was announced)."""
        for key in self._by_counter.pop(counter, ()):
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_counter.clear()


_redis: Optional[Redis] = None


def install(redis: Optional[Redis]) -> None:
    """The Redis client `changed` announces through (set by every process that can write: Deps.build)."""
    global _redis
    _redis = redis


async def changed(*counters: str) -> None:
    """Announce, after the commit, that what these counters guard has changed (no-op before `install`)."""
    if _redis is not None:
        await announce(_redis, *counters)


# Counters to announce when the transaction open in this context commits (app/core/*_engine.py open and close it).
_pending: ContextVar[Optional[list[str]]] = ContextVar("versioned_pending", default=None)


def transaction_opened() -> Token:
    return _pending.set([])


async def transaction_closed(token: Token, committed: bool) -> None:
    """After COMMIT (or ROLLBACK): announce what the transaction changed, if it committed."""
    pending = _pending.get()
    _pending.reset(token)
    if committed and pending:
        await changed(*dict.fromkeys(pending))


async def after_commit(*counters: str) -> None:
    """Announce these counters once the transaction open in this context commits, or now if none is open.

    Announcing inside the transaction would let another worker reload the old rows under the new counter."""
    pending = _pending.get()
    if pending is None:
        await changed(*counters)
    else:
        pending.extend(counters)


async def listen(redis: Redis, channel: str, on_message: Callable[[str], Awaitable[None]], name: str) -> None:
    """Subscribe to `channel` and hand each message's data to `on_message`, for ever, resubscribing after any
    failure (meanwhile the counter read before each use keeps the caches correct)."""
    delay = 0.5
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            delay = 0.5
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await on_message(str(message["data"]))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("cache listener restarting", extra={"fields": {"listener": name,
                                                                       "error": type(exc).__name__}})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        finally:
            try:
                await pubsub.aclose()
            except Exception:
                pass


class Listener:
    """A `listen` loop as a task of its own, started with the server and stopped with it."""

    def __init__(self, redis: Redis, channel: str, on_message: Callable[[str], Awaitable[None]], name: str) -> None:
        self._args = (redis, channel, on_message, name)
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(listen(*self._args), name=self._args[3])

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


class Invalidations(Listener):
    """One pub/sub listener per process for every VersionedCache: drops the entries of each counter announced."""

    def __init__(self, redis: Redis, caches: Iterable[VersionedCache]) -> None:
        super().__init__(redis, CHANNEL, self._drop, "versioned-cache-listener")
        self._caches = list(caches)
        self.messages = 0

    async def _drop(self, counter: str) -> None:
        self.messages += 1
        for cache in self._caches:
            cache.drop_counter(counter)


class AnnouncingTransaction:
    """Mixed into the engines' transaction contexts (app/core/*_engine.py), before Tortoise's own: opens the
    list of counters to announce, and announces them once the transaction has committed."""

    def _open_announcements(self) -> None:
        self._versions = transaction_opened()

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        committed = False
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)  # type: ignore[misc]
            committed = exc_type is None
        finally:
            await transaction_closed(self._versions, committed)

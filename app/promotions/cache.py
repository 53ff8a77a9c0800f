"""The pricing path's in-process cache of enabled promotions, invalidated across workers (DESIGN.md §1, §6).

Before every use the cache asks Redis for the global counter (one GET, ~0.1 ms on a local Redis) and
reloads from the database when it differs from the counter it loaded at. Pub/sub only makes that reload
happen early, off the request path: a message can arrive late, the GET cannot, and the GET is what makes
"from the moment PATCH returns, no quote on any worker uses it" true (the writer increments the counter
after its commit and before it answers). When Redis is unreachable or has lost the counter, the cache
compares the database version instead, so correctness never depends on Redis alone. And at least every
MAX_TRUST_S seconds it checks the database version anyway, which bounds staleness if a writer ever failed
to reach a Redis that the readers can reach.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Optional

from redis.asyncio import Redis

from app.core import metrics, versioned
from app.pricing.conditions import in_window
from app.pricing.domain import PromotionRule
from app.promotions import service, versions
from app.promotions.models import Promotion

log = logging.getLogger("yijian.promotions")

REDIS_TIMEOUT_S = 0.25
UNREAD = object()  # the request has not read the counter: the cache reads it
MAX_TRUST_S = 5.0


@dataclass
class CacheStats:
    reloads: int = 0
    redis_checks: int = 0
    database_checks: int = 0
    messages: int = 0


class PromotionCache:
    def __init__(self, redis: Redis, *, max_trust_s: float = MAX_TRUST_S) -> None:
        self._redis = redis
        self._max_trust_s = max_trust_s
        self._rules: tuple[PromotionRule, ...] = ()
        self._loaded = False
        self._redis_token: Optional[str] = None  # Redis's counter read before the last load
        self._db_version: Optional[int] = None   # the database version read by the last load
        self._verified_at = 0.0                  # monotonic time the database version was last compared
        self._lock = asyncio.Lock()
        self._redis_ok = True
        self._listener: Optional[versioned.Listener] = None
        self.stats = CacheStats()

    # Reads

    async def rules(self, token: object = UNREAD) -> tuple[PromotionRule, ...]:
        """Every enabled promotion, as fresh as the last committed and announced change. `token`: the counter as
        this request already read it (app/core/versioned.py), None if Redis could not be read."""
        if token is UNREAD:
            token = await self._redis_counter()
        if token is None:
            return await self._check_database()
        if not self._loaded or token != self._redis_token:
            return await self._reload(token)
        if time.monotonic() - self._verified_at > self._max_trust_s:
            return await self._check_database(token)
        metrics.count_promotion_cache(hit=True)
        return self._rules

    async def _redis_counter(self) -> Optional[str]:
        self.stats.redis_checks += 1
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_S):  # no extra task, unlike wait_for
                token = await self._redis.get(versions.REDIS_KEY)
                if token is None:  # a fresh or flushed Redis: start the counter, or every read goes to the DB
                    token = await versions.start_counter(self._redis)
        except Exception as exc:  # unreachable or slow: the database decides (see the module's docstring)
            if self._redis_ok:  # once per outage, not once per quote
                log.warning("promotion cache cannot read Redis", extra={"fields": {"error": type(exc).__name__}})
            self._redis_ok = False
            return None
        self._redis_ok = True
        return token

    async def _check_database(self, token: Optional[str] = None) -> tuple[PromotionRule, ...]:
        self.stats.database_checks += 1
        if self._loaded and await versions.db_version() == self._db_version:
            self._verified_at = time.monotonic()
            metrics.count_promotion_cache(hit=True)
            return self._rules
        return await self._reload(token, force=True)

    async def _reload(self, token: Optional[str], *, force: bool = False,
                      lookup: bool = True) -> tuple[PromotionRule, ...]:
        """Load the rules; `lookup` is False for the listener's early reloads, which are no request's miss."""
        async with self._lock:
            # Another request may have reloaded for this very counter while this one waited for the lock.
            if not force and token is not None and self._loaded and token == self._redis_token:
                if lookup:
                    metrics.count_promotion_cache(hit=True)
                return self._rules
            # The version first, then the rows: the rows are at least as new as the version they are kept under.
            db_version = await versions.db_version()
            rules = await service.load_enabled_rules()
            self._rules, self._db_version, self._redis_token = rules, db_version, token
            self._loaded, self._verified_at = True, time.monotonic()
            self.stats.reloads += 1
            if lookup:
                metrics.count_promotion_cache(hit=False)
            return rules

    # Pub/sub: reload as soon as a change is announced, so the request that follows finds it loaded.

    def start(self) -> None:
        if self._listener is None:
            self._listener = versioned.Listener(self._redis, versions.CHANNEL, self._announced,
                                                "promotions-cache-listener")
            self._listener.start()

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None

    async def _announced(self, token: str) -> None:
        self.stats.messages += 1
        if token != self._redis_token:
            await self._reload(token, lookup=False)


_current: Optional[PromotionCache] = None


def install(cache: Optional[PromotionCache]) -> None:
    """Make `cache` the one `active_promotions` reads (done at server start)."""
    global _current
    _current = cache


async def active_promotions(now: datetime, token: object = UNREAD) -> list[PromotionRule]:
    """Enabled promotions inside their time window at `now`: the pricing engine's candidates.

    Conditions (payment method, categories, cities, new user, hours) are the engine's to judge.
    Without an installed cache (a command-line tool) it reads the database. `token`: see PromotionCache.rules.
    """
    rules = await _current.rules(token) if _current is not None else await service.load_enabled_rules()
    return [rule for rule in rules if in_window(rule, now)]


async def with_fresh_budgets(rules: list[PromotionRule]) -> list[PromotionRule]:
    """Budgets change with every order and this cache does not follow them: the budgeted rules' budgets, read now."""
    budgeted = [rule.id for rule in rules if rule.budget_remaining_fen is not None]
    if not budgeted:
        return rules
    left = {row["id"]: max(0, (row["budget_fen"] or 0) - row["budget_used_fen"])
            for row in await Promotion.filter(id__in=budgeted).values("id", "budget_fen", "budget_used_fen")}
    return [replace(rule, budget_remaining_fen=left.get(rule.id, 0)) if rule.id in left else rule for rule in rules]

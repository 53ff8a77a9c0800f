"""Rate limits (DESIGN.md §7): a sliding window per user and limit, kept in Redis by one Lua script.

The script runs atomically in Redis, with Redis's own clock, so every worker and machine sharing it counts
against the same window. A limit counts members: a one-tap's member is its Idempotency-Key, so retries and
replays of one key count once (a key admitted once is remembered for SEEN_S, past its window too); a limit
without a natural member counts every request. `YIJIAN_RATE_LIMITS=off` leaves every limit out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

from redis.exceptions import RedisError

from app.core import metrics
from app.core.errors import AppError
from app.core.security import new_id
from app.risk import events
from app.risk.models import VELOCITY

if TYPE_CHECKING:  # the container is built above this layer
    from app.deps import Deps

log = logging.getLogger("yijian.risk")

ONE_TAP, FEEDBACK = "one_tap_user", "feedback_user"
SEEN_S = 86_400  # as long as a one-tap's Idempotency-Key answers replays (app/checkout/idempotency.py)

# KEYS: the window (a sorted set: member → when it was admitted, ms), the members ever admitted (a set).
# ARGV: member, limit, window in ms, how long admitted members are remembered (0: not remembered).
# Answers 0 when admitted, else the seconds until the oldest member leaves the window (Retry-After).
_SCRIPT = """
local window, seen = KEYS[1], KEYS[2]
local member, limit, period_ms, seen_s = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', window, '-inf', now - period_ms)
if redis.call('ZSCORE', window, member) then return 0 end
if seen_s > 0 and redis.call('SISMEMBER', seen, member) == 1 then return 0 end
if redis.call('ZCARD', window) >= limit then
  local oldest = redis.call('ZRANGE', window, 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil((tonumber(oldest[2]) + period_ms - now) / 1000))
end
redis.call('ZADD', window, now, member)
redis.call('PEXPIRE', window, period_ms)
if seen_s > 0 then
  redis.call('SADD', seen, member)
  redis.call('EXPIRE', seen, seen_s)
end
return 0
"""


async def check(deps: Deps, name: str, user_id: str, member: Optional[str] = None) -> None:
    """Admit one request of `user_id` under the limit `name`, or raise RATE_LIMITED with Retry-After (and record
    a `velocity` risk event). `member`: what counts once however often it comes (an Idempotency-Key)."""
    limit = deps.settings.rate_limits.get(name)
    if limit is None:
        return
    count, period_s = limit
    key = f"yijian:limit:{name}:{user_id}"
    script = deps.redis.register_script(_SCRIPT)
    try:
        retry_after = int(await script(keys=[key, f"{key}:seen"],
                                       args=[member or new_id("req"), count, period_s * 1000,
                                             SEEN_S if member else 0]))
    except RedisError as exc:  # a limit is protection, not correctness: Redis away admits (and says so)
        log.warning("rate limit not checked", extra={"fields": {"limit": name, "cause": type(exc).__name__}})
        return
    if retry_after:
        metrics.count_rate_limited(name)
        await events.record(VELOCITY, events.user(user_id), {"limit": name, "count": count, "period_s": period_s})
        raise AppError("RATE_LIMITED", headers={"Retry-After": str(retry_after)}, limit=name,
                       retry_after_s=retry_after)

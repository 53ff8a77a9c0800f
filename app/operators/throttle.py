"""Per-source limits on operator logins, in Redis: wrong passwords per window, and password hashes running at once."""

from __future__ import annotations

import hashlib
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator

from redis.asyncio import Redis

from app.core.errors import AppError

# Wrong passwords one source may send in a window: over every username, and on one username. The second is under
# the account's lockout (5), so one source alone cannot lock someone else out; these are checked first.
SOURCE_FAILURES = 20
SOURCE_ACCOUNT_FAILURES = 4
FAILURE_WINDOW_S = 900
# Password hashes (argon2, 64 MiB each) running at once for one source and for one username. A request over
# either is answered at once, without hashing.
SOURCE_HASHES = 2
USERNAME_HASHES = 2
HASH_LEASE_MS = 60_000  # a lease a crashed worker left behind lapses after this

_PREFIX = "yijian:oplogin"

# KEYS: failures of the source, of the source on the username, hashes of the source, of the username.
# ARGV: the two failure limits, the window (s), the two hash limits, now (ms), lease (ms), this request's token.
# Answers {0, 0} when admitted (a failure reserved on both counters, a lease on both sets), else {1, seconds}
# when a failure limit is reached, or {2, 1} when too many hashes run.
_ADMIT = """
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    return {1, redis.call('TTL', KEYS[i])}
  end
end
local now, lease = tonumber(ARGV[6]), tonumber(ARGV[7])
for i = 3, 4 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - lease)
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 1]) then return {2, 1} end
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
end
for i = 3, 4 do
  redis.call('ZADD', KEYS[i], now, ARGV[8])
  redis.call('PEXPIRE', KEYS[i], lease)
end
return {0, 0}
"""

# KEYS as above; ARGV: the token, and what became of the password: 'wrong' keeps the reserved failures,
# 'unchecked' gives them back, 'right' gives the source's back and clears its count on this username (as a
# right password resets the account's count; the source's count over all usernames it does not reset).
_RELEASE = """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if ARGV[2] == 'wrong' then return 0 end
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
if ARGV[2] == 'right' then redis.call('DEL', KEYS[2]) end
return 0
"""


class Admission:
    """A login let through: say whether its password was `wrong()` or `right()` (neither: it was not checked)."""

    def __init__(self) -> None:
        self.password = "unchecked"

    def wrong(self) -> None:
        self.password = "wrong"

    def right(self) -> None:
        self.password = "right"


def keys(source: str, username: str) -> list[str]:
    """The counters of `source` (over all usernames, on `username`), then the leases of `source` and `username`."""
    # Usernames come from whoever calls: hashed, so a key is never longer or stranger than this.
    user = hashlib.sha256(username.encode()).hexdigest()[:32]
    return [f"{_PREFIX}:failures:{source}", f"{_PREFIX}:failures:{source}:{user}",
            f"{_PREFIX}:hashes:{source}", f"{_PREFIX}:hashes:user:{user}"]


@asynccontextmanager
async def admitted(redis: Redis, source: str, username: str) -> AsyncIterator[Admission]:
    """Let one login from `source` hash a password, or answer 429 RATE_LIMITED (with Retry-After) at once.

    A wrong password is reserved on the source's counters before the hash, so however many arrive at once, no
    more than the limits are hashed; a right one, or one that was not checked, gives its reservation back.
    """
    names, token = keys(source, username), uuid.uuid4().hex
    verdict, seconds = await redis.eval(_ADMIT, 4, *names, SOURCE_FAILURES, SOURCE_ACCOUNT_FAILURES,
                                        FAILURE_WINDOW_S, SOURCE_HASHES, USERNAME_HASHES,
                                        int(time.time() * 1000), HASH_LEASE_MS, token)
    if verdict:
        raise AppError("RATE_LIMITED", headers={"Retry-After": str(max(1, int(seconds)))},
                       reason="login_failures" if verdict == 1 else "logins_in_flight")
    admission = Admission()
    try:
        yield admission
    finally:
        await redis.eval(_RELEASE, 4, *names, token, admission.password)

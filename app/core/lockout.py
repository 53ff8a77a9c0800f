"""Lockouts that hold under concurrency: each check of a secret takes a slot in the database before the slow hash."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Callable, Optional

from tortoise.expressions import F, Q
from tortoise.models import Model

from app.core.clock import now_utc
from app.core.errors import AppError

log = logging.getLogger("yijian.lockout")

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
# A slot a crashed process left behind is given back after this. Checks take milliseconds; a slot older than
# half of it is not trusted with a result (see Attempt._stale).
SLOT_TTL = timedelta(seconds=60)
_ROUNDS = 20  # compare-and-set rounds; at most MAX_FAILURES checks contend, so a few suffice


def checks_in_flight() -> AppError:
    """The answer to a check that found every slot taken: it is not verified, and may be sent again at once."""
    return AppError("RATE_LIMITED", headers={"Retry-After": "1"}, reason="checks_in_flight")


@dataclass(frozen=True)
class Columns:
    """Where a model keeps its lockout state."""

    key: str
    failures: str
    checks: str
    checks_until: str
    locked_until: str = "locked_until"
    failed_since: Optional[str] = None  # set: failures older than the lockout's window start a new count


class Lockout:
    """`max_failures` wrong secrets lock a row for `lock_for`; no more than that are ever verified before the lock.

    A check first takes a slot with one conditional UPDATE that succeeds only while the row is not locked and
    failures + checks in flight < max_failures; only then is the secret hashed. However many checks arrive at
    once, on however many workers, the wrong ones verified before the lock are at most max_failures, and while
    the row is locked nothing is verified. Only time ends a lock: a right secret resets the count, never a lock.
    """

    def __init__(self, name: str, model: type[Model], columns: Columns, *,
                 locked: Callable[[datetime], AppError], lock_for: timedelta = LOCK_FOR,
                 window: Optional[timedelta] = None, max_failures: int = MAX_FAILURES,
                 slot_ttl: timedelta = SLOT_TTL) -> None:
        self.name, self.model, self.columns, self.locked = name, model, columns, locked
        self.lock_for, self.window, self.max_failures, self.slot_ttl = lock_for, window, max_failures, slot_ttl

    @asynccontextmanager
    async def attempt(self, key: str) -> AsyncIterator[Attempt]:
        """A slot for one check of `key`'s secret, given back when the block ends.

        Raises the `locked` error, or RATE_LIMITED when every slot is taken by a check still running. Inside the
        block, call `failed()` for a wrong secret or `passed()` for a right one. A right secret's slot is held
        until the block ends, so no lock can land between the check and what the secret was asked for (a lock
        needs every slot free).
        """
        attempt = Attempt(self, key, await self._take(key))
        try:
            yield attempt
        finally:
            await attempt.release()

    def _row(self, key: str) -> Q:
        return Q(**{self.columns.key: key})

    def _failed_since(self, value: Optional[datetime]) -> dict[str, Any]:
        return {self.columns.failed_since: value} if self.columns.failed_since else {}

    async def _take(self, key: str) -> float:
        c, now, started = self.columns, now_utc(), time.monotonic()
        if self.window is not None and c.failed_since:
            await self.model.filter(self._row(key), Q(**{f"{c.failed_since}__lt": now - self.window})
                                    ).update(**{c.failures: 0, c.failed_since: None})
        open_row = self._row(key) & (Q(**{c.locked_until: None}) | Q(**{f"{c.locked_until}__lte": now}))
        lapse = {c.checks_until: now + self.slot_ttl}
        for _ in range(3):
            # Join the live slots while failures + checks in flight leave room...
            if await self.model.filter(open_row, Q(**{f"{c.checks_until}__gt": now}),
                                       Q(**{f"{c.failures}__lt": self.max_failures - F(c.checks)})
                                       ).update(**{c.checks: F(c.checks) + 1}, **lapse):
                return started
            # ...or start afresh when none is live (none yet, or their holders died: they lapsed).
            if await self.model.filter(open_row, Q(**{c.checks_until: None}) | Q(**{f"{c.checks_until}__lte": now}),
                                       Q(**{f"{c.failures}__lt": self.max_failures})
                                       ).update(**{c.checks: 1}, **lapse):
                return started
            rows = await self.model.filter(self._row(key)).values(c.failures, c.checks, c.checks_until,
                                                                  c.locked_until)
            if not rows:
                break
            state = rows[0]
            if state[c.locked_until] is not None and state[c.locked_until] > now:
                raise self.locked(state[c.locked_until])
            live = state[c.checks] if state[c.checks_until] is not None and state[c.checks_until] > now else 0
            if state[c.failures] + live >= self.max_failures:
                break
            # Slots were given back between our updates and the read: try again.
        raise checks_in_flight()

    async def _record_failure(self, key: str) -> int:
        """Count a wrong secret and give its slot back; the attempts left, or the locked error at the last one."""
        c = self.columns
        for _ in range(_ROUNDS):
            now = now_utc()
            failures = (await self.model.filter(self._row(key)).values_list(c.failures, flat=True))[0]
            # Compare-and-set on the count read, so each wrong secret learns its own place in the count.
            mine = self.model.filter(self._row(key), Q(**{c.failures: failures}), Q(**{f"{c.checks}__gt": 0}))
            given_back = {c.checks: F(c.checks) - 1}
            if failures + 1 >= self.max_failures:
                locked_until = now + self.lock_for
                if await mine.update(**given_back, **{c.failures: 0, c.locked_until: locked_until},
                                     **self._failed_since(None)):
                    log.warning("%s locked", self.name, extra={"fields": {"subject": key}})
                    raise self.locked(locked_until)
            elif await mine.update(**given_back, **{c.failures: failures + 1},
                                   **(self._failed_since(now) if failures == 0 else {})):
                return self.max_failures - failures - 1
        raise checks_in_flight()

    async def _give_back(self, key: str, *, passed: bool) -> None:
        c = self.columns
        reset = {c.failures: 0, **self._failed_since(None)} if passed else {}
        # A slot is held by its check, so the row cannot be locked now; the condition states what a right
        # secret may never do: clear a lock.
        await self.model.filter(self._row(key), Q(**{f"{c.checks}__gt": 0}),
                                Q(**{c.locked_until: None}) | Q(**{f"{c.locked_until}__lte": now_utc()})
                                ).update(**{c.checks: F(c.checks) - 1}, **reset)


class Attempt:
    """One check holding a slot: record `failed()` or `passed()`; leaving the block gives the slot back."""

    def __init__(self, lockout: Lockout, key: str, started: float) -> None:
        self._lockout, self._key, self._started = lockout, key, started
        self._outcome: Optional[str] = None

    def _stale(self) -> bool:
        # Slots lapse slot_ttl after they were taken and may then be handed to others. Past half of that (a
        # stalled process, or a worker whose clock runs ahead), this check's result is not used and its slot
        # is not given back: it lapses, which errs on the side of fewer checks.
        return time.monotonic() - self._started > self._lockout.slot_ttl.total_seconds() / 2

    def passed(self) -> None:
        if self._stale():
            self._outcome = "stale"
            raise checks_in_flight()
        self._outcome = "passed"

    async def failed(self) -> int:
        """Count this wrong secret: the attempts left, or raises the locked error when it was the last one."""
        if self._stale():
            self._outcome = "stale"
            raise checks_in_flight()
        self._outcome = "failed"
        return await self._lockout._record_failure(self._key)

    async def release(self) -> None:
        if self._outcome in ("failed", "stale") or self._stale():
            return
        try:
            await self._lockout._give_back(self._key, passed=self._outcome == "passed")
        except Exception:  # the slot lapses on its own; the answer must not turn into a 500 for this
            log.exception("%s slot not given back", self._lockout.name)

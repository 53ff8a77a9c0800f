"""Help entries: read by shoppers, edited by operators (audit-logged), and the code → help_id map errors use.

Every error answer whose code has entries carries `help_id` (DESIGN.md §2, §7). The error handler cannot wait
for the database, so each worker keeps the map in memory (`HelpIndex`): loaded at start-up, reloaded at once
by the worker that made an edit, and by the others within POLL_S, when the counter an edit increments in
Redis no longer matches the one they loaded at.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.errors import NotFound
from app.core.security import new_id
from app.help.models import HelpEntry
from app.help.schemas import HelpIn, HelpPatch
from app.operators import audit

log = logging.getLogger("yijian.help")

VERSION_KEY = "yijian:help:version"
POLL_S = 2.0
FIELDS = ("code", "question", "answer")


async def entries(code: Optional[str] = None) -> list[HelpEntry]:
    """Oldest first (the first of a code is its `help_id`)."""
    query = HelpEntry.all() if code is None else HelpEntry.filter(code=code)
    return await query.order_by("created_at", "id")


async def get(entry_id: str) -> HelpEntry:
    entry = await HelpEntry.get_or_none(id=entry_id)
    if entry is None:
        raise NotFound()
    return entry


def _state(entry: HelpEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


async def create(index: HelpIndex, operator_id: str, data: HelpIn) -> HelpEntry:
    now = now_utc()
    async with in_transaction() as connection:
        entry = await HelpEntry.create(id=new_id("hlp"), code=data.code, question=data.question, answer=data.answer,
                                       created_at=now, updated_at=now, using_db=connection)
        await audit.record(connection, operator_id, "help.create", "help_entry", entry.id, None, _state(entry))
    await index.changed()
    return entry


async def update(index: HelpIndex, operator_id: str, entry_id: str, data: HelpPatch) -> HelpEntry:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    async with in_transaction() as connection:
        entry = await HelpEntry.select_for_update().using_db(connection).get_or_none(id=entry_id)
        if entry is None:
            raise NotFound()
        before = _state(entry)
        if changes:
            await HelpEntry.filter(id=entry_id).using_db(connection).update(**changes, updated_at=now_utc())
        entry = await HelpEntry.get(id=entry_id).using_db(connection)
        await audit.record(connection, operator_id, "help.update", "help_entry", entry_id, before, _state(entry))
    await index.changed()
    return entry


async def delete(index: HelpIndex, operator_id: str, entry_id: str) -> None:
    async with in_transaction() as connection:
        entry = await HelpEntry.get_or_none(id=entry_id).using_db(connection)
        if entry is None or not await HelpEntry.filter(id=entry_id).using_db(connection).delete():
            raise NotFound()
        await audit.record(connection, operator_id, "help.delete", "help_entry", entry_id, _state(entry), None)
    await index.changed()


class HelpIndex:
    """Error code → the id of its first help entry, in memory; `lookup` is what the error handler calls."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._ids: dict[str, str] = {}
        self._version: Optional[bytes] = None
        self._poller: Optional[asyncio.Task] = None

    def lookup(self, code: str) -> Optional[str]:
        return self._ids.get(code)

    async def load(self) -> None:
        try:
            version = await self._redis.get(VERSION_KEY)
        except Exception:  # loaded anyway; the next poll that reaches Redis loads again
            log.warning("help version not read", exc_info=True)
            version = None
        ids: dict[str, str] = {}
        for code, entry_id in await HelpEntry.all().order_by("created_at", "id").values_list("code", "id"):
            ids.setdefault(code, entry_id)
        self._ids, self._version = ids, version

    async def changed(self) -> None:
        """After an edit committed: every worker reloads (this one now, the others at their next poll)."""
        try:
            await self._redis.incr(VERSION_KEY)
        except Exception:  # the edit is made: other workers catch up when the next edit reaches Redis
            log.warning("help version not announced", exc_info=True)
        await self.load()

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except asyncio.CancelledError:
                pass

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            try:
                if await self._redis.get(VERSION_KEY) != self._version:
                    await self.load()
            except Exception:  # the database or Redis away for a moment: the map stays as it was
                log.warning("help index not refreshed", exc_info=True)

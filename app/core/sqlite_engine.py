"""Tortoise's SQLite backend (the embedded default) with one fix: a transaction cancelled as it starts gives
its lock back.

Tortoise's `SqliteTransactionContext.__aenter__` takes the connection's lock, then sends `BEGIN`; if the task
is cancelled in between, `__aexit__` never runs and the lock is never released, so every later transaction
waits for ever (tortoise-orm 1.1.9; reproduced by tests/core/test_cancelled_transactions.py, and it is how one
CI run hung). Handlers and jobs avoid cancelling work (app/core/disconnects.py, app/jobs/engine.py); this
closes the hole for whatever cancel still comes (a stop past its grace period, a timeout someone adds).

It also announces, once a transaction has committed, the cache counters its writes registered
(`app.core.versioned.after_commit`): announced inside the transaction, another worker could reload the old rows
under the new counter.

Named as the engine in `app.core.db.tortoise_config` for `sqlite://` URLs.
"""

from __future__ import annotations

import asyncio
import contextlib

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.connection import get_connections

from app.core import versioned


class _TransactionContext(versioned.AnnouncingTransaction, SqliteTransactionContext):
    async def __aenter__(self):
        await self._trxlock.acquire()
        token = None
        try:
            await self.ensure_connection()
            token = get_connections().set(self.connection_name, self.connection)
            await self.connection.begin()
        except BaseException:
            if token is not None:
                get_connections().reset(token)
            try:
                # `BEGIN` may already be queued on aiosqlite's thread even though we stopped waiting for it: a
                # ROLLBACK queued behind it undoes it (and does nothing if it never ran).
                await asyncio.shield(self._undo_begin())
            finally:
                self._trxlock.release()
            raise
        self.token = token
        self._open_announcements()
        return self.connection

    async def _undo_begin(self) -> None:
        raw = self.connection._connection
        if raw is not None:
            with contextlib.suppress(Exception):
                await raw.rollback()


class CancelSafeSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return _TransactionContext(SqliteTransactionWrapper(self), self._lock)


client_class = CancelSafeSqliteClient

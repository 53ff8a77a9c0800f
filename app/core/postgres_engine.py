"""Tortoise's asyncpg backend with one fix: a transaction cancelled as it starts gives its connection back.

Tortoise's `TransactionContextPooled.__aenter__` takes a connection from the pool, then sends `BEGIN`; if the
task is cancelled in between, `__aexit__` never runs and the connection never goes back. Each such cancel
costs one of the pool's 20 connections, and the 21st leaves every query waiting for ever (tortoise-orm
1.1.9; reproduced by tests/core/test_cancelled_transactions.py). The SQLite twin is app/core/sqlite_engine.py.

It also announces, once a transaction has committed, the cache counters its writes registered
(`app.core.versioned.after_commit`): announced inside the transaction, another worker could reload the old rows
under the new counter.

Named as the engine in `app.core.db.tortoise_config` for `postgres://` URLs.
"""

from __future__ import annotations

import asyncio

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections

from app.core import versioned


class _TransactionContext(versioned.AnnouncingTransaction, TransactionContextPooled):
    async def __aenter__(self):
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        token = None
        try:
            token = get_connections().set(self.connection_name, self.client)
            await self.client.begin()
        except BaseException:
            if token is not None:
                get_connections().reset(token)
            # Back to the pool, which rolls back whatever BEGIN did (asyncpg then logs "Resetting connection with
            # an active transaction"); shielded, so a second cancel cannot leak the connection either.
            await asyncio.shield(pool.release(self.client._connection))
            raise
        self.token = token
        self._open_announcements()
        return self.client


class CancelSafeAsyncpgClient(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return _TransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = CancelSafeAsyncpgClient

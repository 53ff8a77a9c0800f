"""The wallet's hot statements as SQL that runs on PostgreSQL and on SQLite ≥ 3.35 (`UPDATE … RETURNING`).

A balance moves and its new value comes back in one round trip, where the ORM needs an update and a read. Used
through Tortoise's own connection (`execute_query_dict`: its `execute_query` drops the rows of an UPDATE on
asyncpg), inside the caller's transaction. Parameters are written `{1}`, `{2}`…: `$1` on PostgreSQL, `?1` on SQLite.
"""

from __future__ import annotations

from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.db import dialect_sql

_DEBIT = ("UPDATE wallets SET balance_fen = balance_fen - {1} WHERE user_id = {2} AND balance_fen >= {1} "
          "RETURNING balance_fen")
_CREDIT = "UPDATE wallets SET balance_fen = balance_fen + {1} WHERE user_id = {2} RETURNING balance_fen"


async def _balance_after(connection: BaseDBAsyncClient, sql: str, values: list[Any]) -> Optional[int]:
    rows = await connection.execute_query_dict(dialect_sql(connection, sql), values)
    return int(rows[0]["balance_fen"]) if rows else None


async def debit(connection: BaseDBAsyncClient, user_id: str, amount_fen: int) -> Optional[int]:
    """Take `amount_fen` if the balance covers it: the new balance, or None (not enough, or no wallet)."""
    return await _balance_after(connection, _DEBIT, [amount_fen, user_id])


async def credit(connection: BaseDBAsyncClient, user_id: str, amount_fen: int) -> Optional[int]:
    """Add `amount_fen`: the new balance, or None when the user has no wallet row."""
    return await _balance_after(connection, _CREDIT, [amount_fen, user_id])

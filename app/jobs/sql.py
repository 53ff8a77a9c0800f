"""The outbox's hot statement as SQL that runs on PostgreSQL and on SQLite ≥ 3.35 (`INSERT … ON CONFLICT DO NOTHING
RETURNING`).

Marking an event applied by a consumer happens once per consumer per event. Through the ORM it took a savepoint,
an insert and the savepoint's release (three round trips, so that a duplicate would not abort the caller's
transaction); here it is one statement that inserts the mark or, when it is already there, does nothing, and says
which by the row it returns. Parameters are written `{1}`, `{2}`…: `$1` on PostgreSQL, `?1` on SQLite.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.db import dialect_sql

_MARK_APPLIED = ("INSERT INTO applied_events (consumer, event_id, applied_at) VALUES ({1}, {2}, {3}) "
                 "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING id")


async def mark_applied(connection: BaseDBAsyncClient, consumer: str, event_id: str, at: datetime) -> bool:
    """Record that `consumer` applied `event_id`, in the caller's transaction: True if it had not before."""
    return bool(await connection.execute_query_dict(dialect_sql(connection, _MARK_APPLIED), [consumer, event_id, at]))

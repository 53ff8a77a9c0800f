"""Tortoise ORM: the one configuration, start-up and shutdown, and schema migrations (checked in under app/migrations)."""

from __future__ import annotations

import logging

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

log = logging.getLogger("yijian.db")

# Every module that defines models; the app label `models` is what "models.User" foreign keys name.
MODEL_MODULES = [
    "app.auth.models",
    "app.preferences.models",
    "app.wallet.models",
    "app.operators.models",
    "app.catalog.models",
    "app.promotions.models",
    "app.orders.models",
    "app.checkout.models",
    "app.notify.models",
    "app.refunds.models",
    "app.jobs.models",
    "app.recommendations.models",
    "app.reconciliation.models",
    "app.stats.models",
    "app.feedback.models",
    "app.help.models",
    "app.risk.models",
]


async def _keep_session(connection) -> None:
    """asyncpg's pool, on every release, rolls back an unfinished transaction and then (by default) sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`: one more round trip and server work
    for each statement Tortoise runs outside a transaction. yijian uses none of that session state (no advisory
    locks, cursors, LISTEN or SET; pub/sub is Redis's), so only the rollback, which the pool always does, is kept.
    """


def tortoise_config(database_url: str) -> dict:
    connection: str | dict = database_url
    if database_url.startswith("postgres"):
        # asyncpg's pool defaults to 5 connections; 20 cut p99 sixfold under load (STACK-NOTES).
        sep = "&" if "?" in database_url else "?"
        credentials_url = database_url
        if "maxsize=" not in database_url:
            credentials_url = f"{database_url}{sep}minsize=1&maxsize=20"
        connection = expand_db_url(credentials_url)
        connection["engine"] = "app.core.postgres_engine"  # Tortoise's, with cancelled transactions made safe
        connection["credentials"]["reset"] = _keep_session
    elif database_url.startswith("sqlite"):
        connection = expand_db_url(database_url)
        connection["engine"] = "app.core.sqlite_engine"  # Tortoise's, with cancelled transactions made safe
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "app.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str) -> None:
    # Without the global fallback every Sanic handler fails with "No TortoiseContext is currently active".
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply pending migrations; safe to run on every start."""
    await run_migrations(config=tortoise_config(database_url))
    await Tortoise.close_connections()


# For the `tortoise` command (`tortoise -c app.core.db.MIGRATION_CONFIG makemigrations`): no database is needed.
MIGRATION_CONFIG = tortoise_config("sqlite://:memory:")


def dialect_sql(connection: BaseDBAsyncClient, sql: str) -> str:
    """Hand-written SQL for both databases: parameters written `{1}`, `{2}`… become `$1` on PostgreSQL, `?1` on
    SQLite (app/wallet/sql.py, app/jobs/sql.py)."""
    mark = "$" if connection.capabilities.dialect == "postgres" else "?"
    return sql.replace("{", mark).replace("}", "")

"""Delayed and periodic work (order expiry, active payment query, outbox): started and stopped with the server."""

from __future__ import annotations

from sanic import Sanic


async def start(app: Sanic) -> None:
    """Start the job engine in this process (embedded default) and rebuild due work from the database."""


async def stop(app: Sanic) -> None:
    """Stop the job engine, letting running jobs finish or be retried later."""

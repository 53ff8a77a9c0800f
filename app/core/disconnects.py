"""A client that goes away does not cut a request's work short (docs/DECISIONS.md, "Client disconnects").

Sanic cancels the handler's task when the connection is lost. A cancellation that lands inside a database
transaction is not harmless: on SQLite, Tortoise's transaction context takes its lock before `BEGIN`, and a
cancel between the two never gives the lock back, so every later transaction waits forever (reproduced,
and it is how a stopped job wedged a CI run). On PostgreSQL it can strand a pooled connection. So every
route handler runs in a task of its own, shielded: a disconnect cancels only the wait for the answer, and
the handler finishes its work (and commits or rolls back) as if the client were still there.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from typing import Any, Callable

from sanic import Request, Sanic

from app.core.http import keep_openapi, request_id

log = logging.getLogger("yijian.http")

_running: set[asyncio.Task] = set()  # strong references: a shielded task must not be collected half-way


def shielded(handler: Callable) -> Callable:
    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
        result = handler(request, *args, **kwargs)
        if not inspect.isawaitable(result):  # a plain function (sanic-ext's own pages)
            return result
        task = asyncio.ensure_future(result)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                log.info("client went away; the request finishes without it",
                         extra={"fields": {"request_id": request_id(request), "path": request.path}})
                _running.add(task)
                task.add_done_callback(_finished_alone)
            raise

    return keep_openapi(handler, wrapper)


def _finished_alone(task: asyncio.Task) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("request finished without its client, with an error", exc_info=task.exception())


def shield_handlers(app: Sanic) -> None:
    """Wrap every route registered so far (call once, after the blueprints)."""
    for route in app.router.routes:
        if not getattr(route.handler, "__yijian_shielded__", False):
            route.handler = shielded(route.handler)
            route.handler.__yijian_shielded__ = True


async def drain(timeout_s: float = 10.0) -> None:
    """At shutdown: wait a little for requests still finishing without their clients."""
    if _running:
        await asyncio.wait(set(_running), timeout=timeout_s)

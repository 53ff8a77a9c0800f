"""Delayed and periodic work (order expiry, active payment query, outbox): started and stopped with the server,
or run alone by `python -m app worker` when YIJIAN_JOBS=external (docs/jobs.md)."""

from __future__ import annotations

import asyncio
import logging
import signal

from sanic import Sanic

from app.core.settings import Settings
from app.jobs.config import JobsConfig, load_jobs_config
from app.jobs.engine import JobEngine

log = logging.getLogger("yijian.jobs")


async def start(app: Sanic) -> None:
    """Start the job engine in this process (embedded default). Nothing to rebuild: the due work is in the
    database, and the first sweep finds whatever fell due while no engine ran."""
    config: JobsConfig = getattr(app.ctx, "jobs_config", None) or load_jobs_config()
    app.ctx.jobs_config = config
    app.ctx.jobs = None
    if config.mode != "inprocess":
        log.info("jobs run in separate workers (YIJIAN_JOBS=external)")
        return
    app.ctx.jobs = JobEngine(app.ctx.deps, config)
    await app.ctx.jobs.start()


async def stop(app: Sanic) -> None:
    """Stop the job engine; work in flight is taken up again when its lease runs out."""
    engine = getattr(app.ctx, "jobs", None)
    if engine is not None:
        app.ctx.jobs = None
        await engine.stop()


async def run_worker(settings: Settings, config: JobsConfig) -> None:
    """A worker process: database, Redis and the WeChat Pay provider of its own; runs until SIGINT/SIGTERM."""
    from app.core import cache, db
    from app.deps import Deps
    from app.notify import providers

    await db.init_db(settings.database_url)
    deps = Deps.build(settings, cache.connect(settings.redis_url))
    providers.install(lambda: deps)
    engine = JobEngine(deps, config)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await engine.start()
        waiter = asyncio.create_task(stopping.wait())
        ended = asyncio.create_task(engine.wait())
        await asyncio.wait({waiter, ended}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        ended.cancel()
    finally:
        await engine.stop()
        await deps.close()
        await db.close_db()

"""Delayed and periodic work (order expiry, active payment query, outbox) started and stopped with the server;
`python -m app worker` runs it alone when YIJIAN_JOBS=external (app/background.py, docs/jobs.md)."""

from __future__ import annotations

import logging
from typing import Any

from app.jobs.config import JobsConfig, load_jobs_config
from app.jobs.engine import JobEngine

log = logging.getLogger("yijian.jobs")


async def start(app: Any) -> None:
    """Start the job engine in the server process `app` (a Sanic app: its `ctx` holds the deps), unless the jobs
    run in separate workers. Nothing to rebuild: the due work is in the database, and the first sweep finds
    whatever fell due while no engine ran."""
    config: JobsConfig = getattr(app.ctx, "jobs_config", None) or load_jobs_config()
    app.ctx.jobs_config = config
    app.ctx.jobs = None
    if config.mode != "inprocess":
        log.info("jobs run in separate workers (YIJIAN_JOBS=external)")
        return
    app.ctx.jobs = JobEngine(app.ctx.deps, config)
    await app.ctx.jobs.start()


async def stop(app: Any) -> None:
    """Stop the job engine; work in flight is taken up again when its lease runs out."""
    engine = getattr(app.ctx, "jobs", None)
    if engine is not None:
        app.ctx.jobs = None
        await engine.stop()

"""Every feature that gives the background jobs work, listed once: importing this module registers their due work
(app/jobs/due.py) and outbox consumers (app/jobs/outbox.py). The server (app/main.py) and the worker process
(`run_worker`, `python -m app worker`) both import it, so both run the same jobs."""

from __future__ import annotations

import asyncio
import signal

from app.core import cache, db
from app.core.settings import Settings
from app.deps import Deps
from app.jobs.config import JobsConfig
from app.jobs.engine import JobEngine
from app.orders import events as order_events, jobs as order_jobs
from app.recommendations import signals as recommendation_signals
from app.reconciliation import jobs as reconciliation_jobs
from app.refunds import jobs as refund_jobs, service as refund_service
from app.stats import jobs as stats_jobs

# Each registers when imported: order expiry and queries, refund queries, the daily reconciliation, the statistics'
# counters fold; the consumers of order events, refund.submit, the recommendations' aggregates and the statistics.
FEATURES = (order_jobs, refund_jobs, reconciliation_jobs, order_events, refund_service, recommendation_signals,
            stats_jobs)


async def run_worker(settings: Settings, config: JobsConfig) -> None:
    """A worker process: database, Redis and the WeChat Pay providers of its own; runs until SIGINT/SIGTERM."""
    await db.init_db(settings.database_url)
    deps = Deps.build(settings, cache.connect(settings.redis_url))
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

"""The job engine: taskiq on Redis (or the in-process stand-in), a periodic sweep, and the tasks it fans out.

The due work lives in the database (an order's `next_query_at`/`expires_at`, undone outbox events), never
only in Redis: the sweep reads it every `sweep_s` seconds, claims each due row with a conditional update
(a lease), and kicks one task per row onto the Redis list that every worker reads. A lost message, a
crashed worker or a restart only delays the work until the lease runs out (docs/jobs.md). What is due comes
from the features that registered with app/jobs/due.py and app/jobs/outbox.py: the engine imports none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, AsyncGenerator

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError, LockError
from taskiq import ScheduleSource, ScheduledTask, TaskiqScheduler
from taskiq.api import run_scheduler_task
from taskiq.receiver import Receiver
from taskiq_redis import ListQueueBroker

from app.core.clock import now_utc
from app.jobs import due, outbox
from app.jobs.config import JobsConfig
from app.jobs.due import DueWork

if TYPE_CHECKING:  # the container is built above this layer; jobs only hand it on
    from app.deps import Deps

log = logging.getLogger("yijian.jobs")

QUEUE = "yijian:jobs:queue"
SWEEP_LOCK = "yijian:jobs:sweep-lock"
OUTBOX_LOCK = "yijian:jobs:outbox-lock"
SWEEP_TASK, OUTBOX_TASK = "yijian.sweep", "yijian.outbox"
SWEEP_BATCH = 200
OUTBOX_RUN_S = 5.0  # one outbox run works batch after batch up to this long (well inside OUTBOX_LOCK's 60 s)
POP_TIMEOUT_S = 1  # a receiver looks for a stop request at least this often
STOP_GRACE_S = 20.0  # how long a stop waits for the jobs in flight before it cancels them


def _pool_like(redis: Redis) -> BlockingConnectionPool:
    """A pool to the same Redis as `redis` (the real server or the in-process stand-in), raw bytes as taskiq wants."""
    source = redis.connection_pool
    kwargs = {**source.connection_kwargs, "decode_responses": False}
    return BlockingConnectionPool(connection_class=source.connection_class, max_connections=50, timeout=None,
                                  **kwargs)


class _StoppableListBroker(ListQueueBroker):
    """taskiq-redis's list broker whose BRPOP times out every POP_TIMEOUT_S, so a stop ends the receiver
    between two pops instead of cancelling one.

    A cancelled BRPOP is not harmless: on the fakeredis stand-in the blocked pop lives on after its connection
    is gone and takes the next message pushed to the queue, so a restarted engine lost its first job. Ending
    the listen generator also lets taskiq's receiver finish the jobs in flight rather than cancel them halfway.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = asyncio.Event()

    async def listen(self) -> AsyncGenerator[bytes, None]:
        while not self.stopping.is_set():
            try:
                async with Redis(connection_pool=self.connection_pool) as redis:
                    popped = await redis.brpop([self.queue_name], timeout=POP_TIMEOUT_S)
            except RedisConnectionError as exc:
                log.warning("job queue unreachable", extra={"fields": {"cause": str(exc)}})
                await asyncio.sleep(POP_TIMEOUT_S)
                continue
            if popped is not None:
                yield popped[1]


class _SweepSchedule(ScheduleSource):
    """One schedule: the sweep every `sweep_s` seconds (from configuration, not from a decorator label)."""

    def __init__(self, sweep_s: int) -> None:
        self._task = ScheduledTask(task_name=SWEEP_TASK, labels={}, args=[], kwargs={}, interval=sweep_s,
                                   schedule_id="yijian-sweep")

    async def get_schedules(self) -> list[ScheduledTask]:
        return [self._task]


class JobEngine:
    def __init__(self, deps: Deps, config: JobsConfig) -> None:
        self.deps, self.config = deps, config
        # The URL is never dialled: the pool below replaces the one taskiq builds from it.
        self.broker = _StoppableListBroker("redis://127.0.0.1:6379/0", queue_name=QUEUE)
        self.broker.connection_pool = _pool_like(deps.redis)
        # taskiq renames the functions it registers, so each task is a plain function over this engine.

        async def process_outbox() -> int:
            return await self._run_outbox()

        async def sweep() -> None:
            await self._run_sweep()

        self._due = [(work, self._due_task(work)) for work in due.REGISTERED.values()]
        self._outbox = self.broker.register_task(process_outbox, task_name=OUTBOX_TASK)
        self.broker.register_task(sweep, task_name=SWEEP_TASK)
        self.scheduler = TaskiqScheduler(self.broker, [_SweepSchedule(config.sweep_s)])
        self._tasks: list[asyncio.Task] = []

    async def start(self, *, receive: bool = True, schedule: bool = True) -> None:
        await self.broker.startup()
        if receive:
            self.broker.is_worker_process = True
            receiver = Receiver(self.broker, max_async_tasks=50, run_startup=False)
            self._tasks.append(asyncio.create_task(receiver.listen(asyncio.Event()), name="yijian-jobs-receiver"))
        if schedule:
            self._tasks.append(asyncio.create_task(run_scheduler_task(self.scheduler), name="yijian-jobs-scheduler"))
        log.info("jobs started", extra={"fields": {"receive": receive, "schedule": schedule,
                                                   "sweep_s": self.config.sweep_s}})

    def _due_task(self, work: DueWork):
        async def run_one(row_id: str, lease_until: str) -> str:
            return await work.run(self.deps, row_id, datetime.fromisoformat(lease_until))

        return self.broker.register_task(run_one, task_name=work.task)

    async def stop(self) -> None:
        """Stop scheduling; let the receiver finish the jobs in flight (up to STOP_GRACE_S, then cancel them:
        a cancelled job is done again once its lease runs out)."""
        self.broker.stopping.set()
        for task in self._tasks:
            if task.get_name() != "yijian-jobs-receiver":
                task.cancel()
        _, pending = await asyncio.wait(self._tasks, timeout=STOP_GRACE_S) if self._tasks else (set(), set())
        for task in pending:
            log.warning("jobs still running at stop; cancelled", extra={"fields": {"task": task.get_name()}})
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.broker.shutdown()
        log.info("jobs stopped")

    async def wait(self) -> None:
        """Until the receiver or the scheduler ends (a worker process runs until it is signalled)."""
        await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)

    # -- tasks ------------------------------------------------------------------------------------

    async def _run_sweep(self) -> None:
        # Every scheduler (one per process) kicks a sweep; the lock lets one of them run per period.
        lease_ms = max(self.config.sweep_s * 1000 - 100, 500)
        if not await self.deps.redis.set(SWEEP_LOCK, "1", nx=True, px=lease_ms):
            return
        await self.sweep_once(now_utc())

    async def sweep_once(self, now: datetime) -> int:
        """Claim the rows due of every registered kind and kick one task each; kick the outbox if anything waits."""
        claimed = 0
        for work, task in self._due:
            for claim in await work.claim(now, SWEEP_BATCH):
                await task.kiq(claim.id, claim.lease_until.isoformat())
                claimed += 1
        if await outbox.has_pending():
            await self._outbox.kiq()
        return claimed

    async def _run_outbox(self) -> int:
        # One outbox run at a time saves work; each event's own claim is what keeps it to one run (docs/jobs.md).
        lock = self.deps.redis.lock(OUTBOX_LOCK, timeout=60, blocking=False)
        if not await lock.acquire():
            return 0
        try:
            return await outbox.process_backlog(self.deps, OUTBOX_RUN_S)
        finally:
            with contextlib.suppress(LockError):  # held past its timeout: another run may have started
                await lock.release()


"""`python -m app worker`: the jobs in a process of their own (YIJIAN_JOBS=external), as docs/jobs.md runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile

import pytest

from app.jobs import runner
from tests.jobs.helpers import make_due, status_of, wait_until
from tests.notify.helpers import wechat_order

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(not os.environ.get("YIJIAN_REDIS_URL"), reason="separate workers share PostgreSQL and Redis")
async def test_a_separate_worker_process_does_the_jobs_and_stops_on_sigterm(client, server):
    await runner.stop(server.app)  # only the worker process may do the work now
    process = None
    try:
        made = await wechat_order(client)
        order_id = made["order"]["id"]
        await make_due(order_id, expired=True)
        env = {**os.environ, "YIJIAN_JOBS": "external", "YIJIAN_DATA_DIR": tempfile.mkdtemp(prefix="yijian-worker-"),
               "YIJIAN_WECHAT_BASE_URL": f"{server.base_url}/sandbox/wechat", "YIJIAN_LOG_LEVEL": "WARNING"}
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "app", "worker", env=env, cwd=ROOT,
                                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        async def closed():
            assert process.returncode is None, (await process.stderr.read()).decode()[-2000:]
            return await status_of(order_id) == "CLOSED"

        await wait_until(closed, timeout_s=30)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await runner.start(server.app)


def test_the_worker_refuses_the_embedded_default(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("YIJIAN_DATABASE_URL", "YIJIAN_REDIS_URL")}
    result = subprocess.run([sys.executable, "-m", "app", "worker"], env={**env, "YIJIAN_DATA_DIR": str(tmp_path)},
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "worker needs YIJIAN_DATABASE_URL" in result.stderr

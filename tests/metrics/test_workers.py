"""/metrics with `python -m app serve --workers 2`: one scrape adds up every worker's counts (prometheus-client's
multiprocess mode), a killed worker's counts stay and its live gauge goes, a stopped one cleans up after itself."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.jobs.helpers import wait_until
from tests.metrics.helpers import ServeProcess, scrape
from tests.servers import free_port

REQUESTS = 60
pytestmark = pytest.mark.skipif(
    not os.environ.get("YIJIAN_REDIS_URL") or not os.environ.get("YIJIAN_DATABASE_URL", "").startswith("postgres"),
    reason="--workers 2 needs PostgreSQL and Redis (YIJIAN_DATABASE_URL, YIJIAN_REDIS_URL); the embedded default "
           "is one process")


def _healthz_by_pid(directory: str) -> dict[int, float]:
    """Each process's own count of `GET /healthz`, read from its file in the multiprocess directory."""
    counts = {}
    for path in glob.glob(os.path.join(directory, "counter_*.db")):
        pid = int(re.search(r"counter_(\d+)\.db$", path).group(1))
        counts[pid] = sum(value for key, value, _, _ in MmapedDict.read_all_values_from_file(path)
                          if json.loads(key)[1] == "yijian_http_requests_total"
                          and json.loads(key)[2].get("route") == "/healthz")
    return counts


async def _healthz_on_fresh_connections(origin: str, count: int) -> None:
    """`count` requests, each on a connection of its own, eight at a time: the kernel spreads them over workers."""
    async with httpx.AsyncClient(base_url=origin, timeout=10,
                                 limits=httpx.Limits(max_keepalive_connections=0, max_connections=8)) as fresh:
        answers = await asyncio.gather(*(fresh.get("/healthz") for _ in range(count)))
    assert all(answer.status_code == 200 for answer in answers)


@contextlib.asynccontextmanager
async def two_workers(server, directory: str | None):
    """`serve --workers 2` beside the session's server, once both workers serve. With `directory`, it is named
    in PROMETHEUS_MULTIPROC_DIR (so the test can read each worker's file); without, serve makes its own."""
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"YIJIAN_DATA_DIR": tempfile.mkdtemp(prefix="yijian-metrics-workers-"), "YIJIAN_LOG_LEVEL": "WARNING",
                # The session's database is shared: this server runs no jobs, and pays through the session's sandbox.
                "YIJIAN_JOBS": "external", "YIJIAN_WECHAT_BASE_URL": f"{server.base_url}/sandbox/wechat"})
    if directory is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = directory
    port = free_port()
    served = await ServeProcess(["--port", str(port), "--workers", "2"], env, f"http://127.0.0.1:{port}").start()
    try:
        async with httpx.AsyncClient(base_url=served.origin, timeout=10) as http:
            async def both_serving():  # /healthz answered by one worker; the other may still be starting
                return (await scrape(http)).value("yijian_workers") == 2

            await wait_until(both_serving, timeout_s=60, interval_s=0.2)
        yield served
    finally:
        await served.stop()
        shutil.rmtree(env["YIJIAN_DATA_DIR"], ignore_errors=True)


async def _add_up(served: ServeProcess) -> float:
    """REQUESTS requests spread over the workers; one scrape counts them all. Answers the count before them."""
    async with httpx.AsyncClient(base_url=served.origin, timeout=10) as http:
        before = (await scrape(http)).value("yijian_http_requests_total", route="/healthz")
        await _healthz_on_fresh_connections(served.origin, REQUESTS)
        after = await scrape(http)
    assert after.value("yijian_http_requests_total", route="/healthz") - before == REQUESTS
    assert after.value("yijian_http_request_duration_seconds_count", route="/healthz") == before + REQUESTS
    return before


def _children_environment(pid: int, name: str) -> set[str]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = set()
    for child in children:
        for entry in Path(f"/proc/{child}/environ").read_bytes().split(b"\0"):
            key, _, value = entry.decode().partition("=")
            if key == name:
                found.add(value)
    return found


async def test_serve_gives_its_workers_a_private_directory_and_removes_it_at_exit(server):
    async with two_workers(server, None) as served:
        await _add_up(served)
        directories = _children_environment(served.process.pid, "PROMETHEUS_MULTIPROC_DIR")
        assert len(directories) == 1, directories
        directory = directories.pop()
        assert os.path.basename(directory).startswith("yijian-metrics-") and glob.glob(f"{directory}/counter_*.db")
        await served.stop()
    assert not os.path.exists(directory)


@pytest.fixture
def named_directory():
    directory = tempfile.mkdtemp(prefix="yijian-test-multiproc-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


async def test_two_workers_add_up_in_one_scrape_and_keep_a_killed_workers_counts(server, named_directory):
    directory = named_directory
    open(os.path.join(directory, "counter_999999.db"), "wb").close()  # an earlier run's file: serve removes it
    async with two_workers(server, directory) as served:
        assert not os.path.exists(os.path.join(directory, "counter_999999.db"))
        before = await _add_up(served)
        by_pid = _healthz_by_pid(directory)
        served_some = [pid for pid, count in by_pid.items() if count > 0]
        assert len(served_some) == 2, by_pid  # both workers answered: the sum above really is across processes
        assert sum(by_pid.values()) == before + REQUESTS

        victim, survivor = served_some
        os.kill(victim, signal.SIGKILL)
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=served.origin, timeout=10) as http:
            scraped = await scrape(http)
        assert scraped.value("yijian_http_requests_total", route="/healthz") == before + REQUESTS  # never shrinks
        assert scraped.value("yijian_workers") == 1  # the dead worker's live gauge was dropped (mark_process_dead)
        assert not glob.glob(os.path.join(directory, f"gauge_live*_{victim}.db"))

        await served.stop()
        assert not glob.glob(os.path.join(directory, f"gauge_live*_{survivor}.db"))  # a clean stop drops its own
        assert glob.glob(os.path.join(directory, f"counter_{survivor}.db"))

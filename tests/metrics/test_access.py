"""Who may read /metrics (DESIGN.md §6.3): loopback callers, or anyone with the bearer token; others get 404.

The non-loopback caller is real: `python -m app serve` listens on this machine's own non-loopback address and
the test connects to that address, so the server sees that address as its peer, not 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile

import httpx
import pytest

from app.core.settings import SettingsError, load_settings
from app.metrics.routes import is_loopback
from tests.factories import assert_error
from tests.metrics.helpers import ServeProcess, parse, scrape

TOKEN = "metrics-token-for-the-tests-0123456789"


def _non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback and that a server can listen on."""
    try:
        listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    for text in listed:
        address = ipaddress.ip_address(text)
        if address.version == 4 and not address.is_loopback and not address.is_link_local:
            try:
                with socket.socket() as probe:
                    probe.bind((text, 0))
            except OSError:
                continue
            return text
    return None


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
async def outside_server():
    """serve on the embedded default of its own (its own data, nothing shared with the session's server), on
    this machine's non-loopback address, with YIJIAN_METRICS_TOKEN set."""
    host = _non_loopback_address()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address to serve on (hostname -I lists none)")
    port = _free_port(host)
    env = {key: value for key, value in os.environ.items()
           if key not in ("YIJIAN_DATABASE_URL", "YIJIAN_REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(YIJIAN_DATA_DIR=tempfile.mkdtemp(prefix="yijian-metrics-access-"), YIJIAN_METRICS_TOKEN=TOKEN,
               YIJIAN_LOG_LEVEL="WARNING")
    served = await ServeProcess(["--host", host, "--port", str(port)], env, f"http://{host}:{port}").start()
    try:
        yield served
    finally:
        await served.stop()
        shutil.rmtree(env["YIJIAN_DATA_DIR"], ignore_errors=True)


async def test_a_caller_off_loopback_without_the_token_gets_404_not_found(outside_server):
    async with httpx.AsyncClient(base_url=outside_server.origin, timeout=10) as outside:
        assert_error(await outside.get("/metrics"), 404, "NOT_FOUND")
        assert_error(await outside.get("/metrics", headers={"Authorization": "Bearer wrong-token-of-same-size!!"}),
                     404, "NOT_FOUND")
        assert_error(await outside.get("/metrics", headers={"Authorization": TOKEN}), 404, "NOT_FOUND")  # no scheme


async def test_a_caller_off_loopback_with_the_token_reads_the_metrics(outside_server):
    async with httpx.AsyncClient(base_url=outside_server.origin, timeout=10) as outside:
        assert (await outside.get("/healthz")).status_code == 200
        response = await outside.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert parse(response.text).value("yijian_http_requests_total", route="/healthz", status="200") >= 1


async def test_a_loopback_caller_reads_the_metrics_without_a_token(client):
    assert (await client.get("/healthz")).status_code == 200
    assert (await scrape(client)).value("yijian_http_requests_total", route="/healthz", status="200") >= 1


async def test_a_request_forwarded_by_a_local_proxy_is_not_a_loopback_caller(client):
    # A reverse proxy on this host connects from 127.0.0.1 on behalf of someone else.
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "203.0.113.9"}):
        assert_error(await client.get("/metrics", headers=header), 404, "NOT_FOUND")


@pytest.mark.parametrize("ip, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("192.0.2.2", False), ("::ffff:192.0.2.2", False), ("fd00::2", False), ("", False), ("localhost", False),
])
def test_loopback_is_judged_on_the_peer_address(ip, loopback):
    assert is_loopback(ip) is loopback


def test_a_short_metrics_token_stops_start_up(tmp_path):
    with pytest.raises(SettingsError, match="YIJIAN_METRICS_TOKEN must be at least 16 characters"):
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_METRICS_TOKEN": "short"})
    assert load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    assert load_settings({"YIJIAN_DATA_DIR": str(tmp_path)}).metrics_token is None

"""The one-tap limit holds across server processes sharing Redis (DESIGN.md §7: counters in Redis, correct across
workers): taps alternate between the session's server and a `python -m app serve` of its own."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import httpx
import pytest

from app.orders.models import Order
from tests.checkout.helpers import items, product, shopper
from tests.factories import assert_error
from tests.metrics.helpers import ServeProcess
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    not os.environ.get("YIJIAN_REDIS_URL") or not os.environ.get("YIJIAN_DATABASE_URL", "").startswith("postgres"),
    reason="two server processes share PostgreSQL and Redis (YIJIAN_DATABASE_URL, YIJIAN_REDIS_URL); the embedded "
           "default is one process with its own Redis stand-in")


async def test_the_eleventh_key_is_limited_whichever_process_it_reaches(client, server):
    settings = server.settings
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"YIJIAN_DATA_DIR": tempfile.mkdtemp(prefix="yijian-limits-"), "YIJIAN_LOG_LEVEL": "WARNING",
                # The session's database, Redis, sandbox and secrets: a second worker of the same deployment.
                "YIJIAN_JOBS": "external", "YIJIAN_WECHAT_BASE_URL": f"{server.base_url}/sandbox/wechat",
                "YIJIAN_JWT_SECRET": settings.jwt_secret, "YIJIAN_ENCRYPTION_KEY": settings.encryption_key.hex()})
    env.pop("YIJIAN_RATE_LIMITS", None)  # the contract's defaults
    port = free_port()
    other = await ServeProcess(["--port", str(port)], env, f"http://127.0.0.1:{port}").start()
    try:
        tea = await product(client, price_fen=100, stock=100)
        who = await shopper(client)
        body = {"items": items((tea, 1)), "payment_method": "wechatpay"}
        async with httpx.AsyncClient(base_url=other.origin, timeout=30.0) as second:
            servers = (client, second)
            keys = [uuid.uuid4().hex for _ in range(11)]

            async def tap(http: httpx.AsyncClient, key: str) -> httpx.Response:
                return await http.post("/api/v1/checkout/one-tap", json=body,
                                       headers={**who["headers"], "Idempotency-Key": key})

            for n, key in enumerate(keys[:10]):
                response = await tap(servers[n % 2], key)
                assert response.status_code == 201, (n, response.text)
            assert_error(await tap(second, keys[10]), 429, "RATE_LIMITED")
            assert_error(await tap(client, keys[10]), 429, "RATE_LIMITED")
            replay = await tap(second, keys[0])  # made on the session's server, replayed on the other
            assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
        assert await Order.filter(user_id=who["user_id"]).count() == 10
    finally:
        await other.stop()
        shutil.rmtree(env["YIJIAN_DATA_DIR"], ignore_errors=True)

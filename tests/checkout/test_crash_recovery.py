"""A server killed (SIGKILL) while one-taps wait on a slow prepay: after a restart each key's retry finishes its one
order (issue 13, item 2)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app.jobs import runner
from tests.checkout.helpers import ADDRESS
from tests.factories import OPERATOR_PASSWORD, login_code, unique_label
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "/sandbox/wechat"
SHOPPERS = 4
STOCK = 20
RECOVERY_S = 60  # the bound: every key settled within a minute of the restart


class Process:
    """`python -m app <args>` on a port of its own, its output in a file (a full pipe would stall it)."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.args, self.env, self.port, self.log = args, env, port, log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, ready_path: str) -> Process:
        with open(self.log, "ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app", *self.args, "--port", str(self.port), env=self.env, cwd=ROOT,
                stdout=out, stderr=out)
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient(base_url=self.origin, timeout=5) as http:
            while True:
                assert self.process.returncode is None, self.log.read_text()[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(ready_path)).status_code == 200:
                        return self
                assert time.monotonic() < deadline, f"{self.args[0]} did not start:\n{self.log.read_text()[-3000:]}"
                await asyncio.sleep(0.2)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=20)
            except TimeoutError:
                await self.kill()


async def _create_operator(env: dict[str, str], log: Path) -> str:
    username = unique_label("crash-op-")
    with open(log, "ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "create-operator", "--username", username, "--password", OPERATOR_PASSWORD,
            env=env, cwd=ROOT, stdout=out, stderr=out)
        assert await asyncio.wait_for(process.wait(), timeout=120) == 0, log.read_text()[-3000:]
    return username


async def _shopper(http: httpx.AsyncClient) -> dict:
    response = await http.post("/api/v1/auth/login", json={"code": login_code(unique_label())})
    assert response.status_code == 200, response.text
    tokens = response.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await http.post("/api/v1/me/addresses", json=ADDRESS, headers=headers)).status_code == 201
    return {"headers": headers, "user_id": tokens["user"]["id"], "key": uuid.uuid4().hex}


def _one_tap(http: httpx.AsyncClient, who: dict, body: dict):
    return http.post("/api/v1/checkout/one-tap", json=body, headers={**who["headers"], "Idempotency-Key": who["key"]})


async def _orders_of(http: httpx.AsyncClient, operator: dict, user_ids: set[str]) -> list[dict]:
    """Every order of these users, unlisted ones too (the operators' list). The session's other tests run before
    or after this one, never during it, so ours are among the newest hundred."""
    response = await http.get("/admin/v1/orders", params={"limit": 100}, headers=operator)
    assert response.status_code == 200, response.text
    return [order for order in response.json()["items"] if order["user_id"] in user_ids]


async def _wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("api", ["v3", "v2"])
async def test_a_killed_server_leaves_one_payable_order_per_key(server, tmp_path, api):
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("YIJIAN_")}
    for name in ("YIJIAN_DATABASE_URL", "YIJIAN_REDIS_URL"):  # PostgreSQL mode: the session's database
        if os.environ.get(name):
            base_env[name] = os.environ[name]
    sandbox_env = {**base_env, "YIJIAN_DATA_DIR": str(tmp_path / "sandbox"), "YIJIAN_LOG_LEVEL": "WARNING"}
    # The sandbox is a process of its own, so the prepays it made survive the BFF's death.
    sandbox = Process(["sandbox"], sandbox_env, free_port(), tmp_path / "sandbox.log")
    bff_env = {**base_env, "YIJIAN_DATA_DIR": str(tmp_path / "bff"), "YIJIAN_LOG_LEVEL": "WARNING",
               "YIJIAN_WECHAT_BASE_URL": f"{sandbox.origin}{SANDBOX}", "YIJIAN_WXPAY_API": api}
    bff = Process(["serve"], bff_env, free_port(), tmp_path / "bff.log")
    shared_database = bool(os.environ.get("YIJIAN_DATABASE_URL"))
    if shared_database:
        await runner.stop(server.app)  # the session server's jobs would ask its own sandbox about our orders
    try:
        await sandbox.start(f"{SANDBOX}/control/faults")
        username = await _create_operator(bff_env, tmp_path / "bff.log")
        await bff.start("/healthz")
        async with httpx.AsyncClient(base_url=bff.origin, timeout=60) as http, \
                httpx.AsyncClient(base_url=sandbox.origin, timeout=30) as wechat:
            response = await http.post("/admin/v1/auth/login",
                                       json={"username": username, "password": OPERATOR_PASSWORD})
            assert response.status_code == 200, response.text
            operator = {"Authorization": f"Bearer {response.json()['access_token']}"}
            response = await http.post("/admin/v1/products", headers=operator, json={
                "sku": unique_label("SKU-"), "name": "崩溃测试", "price_fen": 990, "stock": STOCK,
                "category": unique_label("cat")})
            assert response.status_code == 201, response.text
            tea = response.json()
            shoppers = [await _shopper(http) for _ in range(SHOPPERS)]
            user_ids = {who["user_id"] for who in shoppers}
            body = {"items": [{"product_id": tea["id"], "quantity": 2}]}

            # Every prepay takes effect at WeChat, but its answer is held back: the one-taps wait on it.
            prepay_api = {"v3": "jsapi", "v2": "unifiedorder"}[api]
            fault = await wechat.post(f"{SANDBOX}/control/faults",
                                      json={"kind": "api_timeout", "rate": 1.0, "apis": [prepay_api], "delay_s": 60})
            assert fault.status_code == 201, fault.text
            taps = [asyncio.ensure_future(_one_tap(http, who, body)) for who in shoppers]

            async def all_paying():
                orders = await _orders_of(http, operator, user_ids)
                assert all(order["status"] == "PAYING" for order in orders), orders  # none given up yet
                return len(orders) == SHOPPERS

            await _wait_for(all_paying, 6, "every one-tap to commit its order")
            await bff.kill()
            for outcome in await asyncio.gather(*taps, return_exceptions=True):
                assert isinstance(outcome, httpx.HTTPError), outcome  # none was answered
            assert (await wechat.delete(f"{SANDBOX}/control/faults")).status_code == 204

            await bff.start("/healthz")
            recovered_by = time.monotonic() + RECOVERY_S
            answers = {}
            for who in shoppers:
                async def retried(who=who):
                    response = await _one_tap(http, who, body)
                    if response.status_code == 409 and response.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE":
                        return None
                    return response
                answers[who["user_id"]] = await _wait_for(retried, recovered_by - time.monotonic(),
                                                          f"the retry of {who['key']} to be answered")

            orders = await _orders_of(http, operator, user_ids)
            by_user = {user_id: [o for o in orders if o["user_id"] == user_id] for user_id in user_ids}
            assert all(len(mine) == 1 for mine in by_user.values()), by_user  # one key, one order
            for who in shoppers:
                answer, (order,) = answers[who["user_id"]], by_user[who["user_id"]]
                # Every retry came within the prepay grace, so every order was finished, not closed.
                assert answer.status_code == 201, answer.text
                assert answer.json()["order"]["id"] == order["id"]
                assert "idempotent-replayed" not in answer.headers  # finished now: nothing was stored before
                again = await _one_tap(http, who, body)
                assert again.status_code == 201 and again.json() == answer.json()
                assert again.headers["idempotent-replayed"] == "true"
                # Payable: the prepay handed out is the order's own at WeChat, and paying it pays the order.
                prepay_id = answer.json()["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
                paid = await wechat.post(f"{SANDBOX}/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
                assert paid.status_code == 200, paid.text
                assert paid.json()["out_trade_no"] == order["out_trade_no"]

                async def order_paid(who=who, order_id=order["id"]):
                    got = await http.get(f"/api/v1/orders/{order_id}", headers=who["headers"])
                    return got.status_code == 200 and got.json()["status"] == "PAID"

                await _wait_for(order_paid, max(recovered_by - time.monotonic(), 5), "the paid order")
            stock = (await http.get(f"/api/v1/products/{tea['id']}", headers=shoppers[0]["headers"])).json()["stock"]
            assert stock == STOCK - 2 * SHOPPERS  # one order's worth per key, no more
    finally:
        await bff.stop()
        await sandbox.stop()
        if shared_database:
            await runner.start(server.app)

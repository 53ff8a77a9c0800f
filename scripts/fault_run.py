#!/usr/bin/env python3
"""Fault run (issue 4): orders paid while the WeChat sandbox drops and duplicates notifications and fails API calls.

Starts its own server (`python -m app serve` on loopback, a temporary YIJIAN_DATA_DIR, the embedded default,
YIJIAN_SANDBOX_TIME_FACTOR=100, a short YIJIAN_QUERY_SCHEDULE_S), pays N orders through one-tap WeChat Pay and
the sandbox's `control/pay` under faults (default: 30% of notifications dropped, 30% duplicated, 20% of API
calls failing), waits until every order has settled, then checks each order's state against the sandbox's
`trade_state` (asked through the signed query API with our own provider class) and that no order was paid
twice (one Payment row, one transition into PAID). Prints the counts as JSON and exits non-zero on a mismatch.
Bounded: at most N orders (≤ 1000) and --max-seconds of waiting; the server is stopped at the end.

    .venv/bin/python scripts/fault_run.py                   # 200 orders
    .venv/bin/python scripts/fault_run.py --orders 50 --max-seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = "/sandbox/wechat"
ADDRESS = {"userName": "张三", "telNumber": "13800138000", "provinceName": "广东省", "cityName": "广州市",
           "countyName": "天河区", "detailInfo": "体育西路1号", "postalCode": "510000", "nationalCode": "440106"}
FAULTS = ({"kind": "notify_drop", "rate": 0.3}, {"kind": "notify_duplicate", "rate": 0.3},
          {"kind": "api_error", "rate": 0.2})
# What our order may be for each trade_state WeChat Pay reports.
EXPECTED = {"SUCCESS": {"PAID"}, "REFUND": {"REFUNDING", "REFUNDED", "PARTIALLY_REFUNDED"},
            "CLOSED": {"CLOSED"}, "NOTPAY": {"PAYING", "CLOSED"}, "PAYERROR": {"PAYING", "CLOSED"},
            "NOT_FOUND": {"CLOSED"}}
SETTLED = {"PAID", "CLOSED", "REFUNDING", "REFUNDED", "PARTIALLY_REFUNDED"}

Query = Callable[[str], Awaitable[str]]  # out_trade_no → the sandbox's trade_state


def _ok(response: httpx.Response, *statuses: int) -> dict:
    if response.status_code not in (statuses or (200,)):
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: "
                           f"{response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


async def _shoppers(client: httpx.AsyncClient, count: int) -> list[dict[str, str]]:
    shoppers = []
    for _ in range(count):
        label = f"fault{uuid.uuid4().hex[:10]}"
        tokens = _ok(await client.post("/api/v1/auth/login", json={"code": f"{label}:{uuid.uuid4().hex}"}))
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        _ok(await client.post("/api/v1/me/addresses", json=ADDRESS, headers=headers), 201)
        shoppers.append(headers)
    return shoppers


async def _place_and_pay(client: httpx.AsyncClient, headers: dict, product_id: str, counts: Counter) -> dict:
    """One-tap with WeChat Pay (a new key after a 503: that attempt's order was closed), then the user pays."""
    for _ in range(8):
        response = await client.post("/api/v1/checkout/one-tap", headers={**headers,
                                     "Idempotency-Key": uuid.uuid4().hex},
                                     json={"items": [{"product_id": product_id, "quantity": 1}],
                                           "payment_method": "wechatpay"})
        if response.status_code == 503:
            counts["one_tap_503_retried"] += 1
            await asyncio.sleep(0.05)
            continue
        created = _ok(response, 201)
        prepay_id = created["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
        paid = _ok(await client.post(f"{SANDBOX}/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"}))
        counts[f"pay_{paid['trade_state']}"] += 1
        return created["order"]
    raise RuntimeError("one-tap kept failing")


async def _admin_detail(client: httpx.AsyncClient, admin: dict, order_id: str) -> dict:
    return _ok(await client.get(f"/admin/v1/orders/{order_id}", headers=admin))


async def _wait_settled(client: httpx.AsyncClient, admin: dict, orders: list[dict], max_seconds: float) -> dict:
    """Poll the operators' view until every order has left PAYING (or the time is up)."""
    deadline = time.monotonic() + max_seconds
    details: dict[str, dict] = {}
    pending = [order["id"] for order in orders]
    while pending and time.monotonic() < deadline:
        fresh = await asyncio.gather(*(_admin_detail(client, admin, oid) for oid in pending))
        for detail in fresh:
            details[detail["id"]] = detail
        pending = [d["id"] for d in fresh if d["status"] not in SETTLED]
        if pending:
            await asyncio.sleep(0.5)
    for detail in await asyncio.gather(*(_admin_detail(client, admin, oid) for oid in pending)):
        details[detail["id"]] = detail
    return details


async def _sandbox_states(query: Query, orders: list[dict]) -> dict[str, str]:
    semaphore = asyncio.Semaphore(10)

    async def one(out_trade_no: str) -> str:
        async with semaphore:
            for _ in range(5):
                try:
                    return await query(out_trade_no)
                except Exception:  # the faults are cleared by now; this is only a transient hiccup
                    await asyncio.sleep(0.2)
            raise RuntimeError(f"the sandbox would not say what {out_trade_no} is")

    states = await asyncio.gather(*(one(order["out_trade_no"]) for order in orders))
    return {order["out_trade_no"]: state for order, state in zip(orders, states)}


async def _delivery_counts(client: httpx.AsyncClient, orders: list[dict]) -> Counter:
    counts: Counter = Counter()
    for order in orders:
        log = _ok(await client.get(f"{SANDBOX}/control/notifications",
                                   params={"out_trade_no": order["out_trade_no"]}))["items"]
        for attempt in log:
            counts["notify_attempts"] += 1
            if "drop" in (attempt.get("error") or ""):
                counts["notify_dropped"] += 1
            elif attempt.get("response") and attempt["response"]["status"] in (200, 204):
                counts["notify_acknowledged"] += 1
    return counts


async def fault_run(client: httpx.AsyncClient, admin: dict, query: Query, *, orders: int = 200,
                    concurrency: int = 10, max_seconds: float = 120.0, faults=FAULTS) -> dict[str, Any]:
    """Pay `orders` orders under `faults` against the server `client` talks to; answer the counts.

    `admin` are an operator's headers; `query` asks the sandbox (signed query API) for a trade_state.
    """
    started = time.monotonic()
    counts: Counter = Counter()
    product = _ok(await client.post("/admin/v1/products", headers=admin, json={
        "sku": f"FAULT-{uuid.uuid4().hex[:8]}", "name": "故障演练咖啡", "price_fen": 990,
        "stock": orders * 2, "category": f"fault-{uuid.uuid4().hex[:6]}"}), 201)
    # Four orders a shopper: with the one-taps a 503 makes it retry under a new key, each stays well inside the
    # server's 10 keys a minute per user (DESIGN §7).
    shoppers = await _shoppers(client, max(1, orders // 4))
    for fault in faults:
        _ok(await client.post(f"{SANDBOX}/control/faults", json=fault), 201)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int) -> dict:
        async with semaphore:
            return await _place_and_pay(client, shoppers[index % len(shoppers)], product["id"], counts)

    try:
        placed = await asyncio.gather(*(one(i) for i in range(orders)))
        paying_done = time.monotonic()
        details = await _wait_settled(client, admin, placed, max_seconds)
        settled_at = time.monotonic()
    finally:
        await client.delete(f"{SANDBOX}/control/faults")
    sandbox = await _sandbox_states(query, placed)
    mismatches, double_paid, paid_by = [], [], Counter()
    for order in placed:
        detail, trade_state = details[order["id"]], sandbox[order["out_trade_no"]]
        if detail["status"] not in EXPECTED.get(trade_state, set()):
            mismatches.append({"order_id": order["id"], "status": detail["status"], "trade_state": trade_state})
        into_paid = [t for t in detail["transitions"] if t["to"] == "PAID"]
        if len(detail["payments"]) > 1 or len(into_paid) > 1:
            double_paid.append(order["id"])
        for transition in into_paid:
            paid_by[transition["cause"]] += 1
    return {
        "orders": len(placed), "status": dict(Counter(details[o["id"]]["status"] for o in placed)),
        "trade_state": dict(Counter(sandbox.values())), "mismatches": mismatches, "double_paid": double_paid,
        "paid_by": dict(paid_by), "faults": [dict(f) for f in faults],
        **dict(counts), **dict(await _delivery_counts(client, placed)),
        "seconds_placing_and_paying": round(paying_done - started, 2),
        "seconds_until_all_settled": round(settled_at - paying_done, 2),
    }


# -- the stand-alone run: its own server on loopback -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path, schedule: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIJIAN_")}
    env.update(YIJIAN_DATA_DIR=str(data_dir), YIJIAN_SANDBOX_TIME_FACTOR="100", YIJIAN_QUERY_SCHEDULE_S=schedule,
               YIJIAN_LOG_LEVEL="WARNING", YIJIAN_JOBS_SWEEP_S="1")
    return env


async def _wait_ready(base_url: str, server: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become ready")


async def _run(args: argparse.Namespace, base_url: str, env: dict[str, str], password: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.update(env)  # the provider below reads the same data dir (sandbox keys) as the server
    from app.core.settings import load_settings
    from app.payments.registry import Payments
    from app.wechat.credentials import CredentialSource

    port = int(base_url.rsplit(":", 1)[1])
    settings = load_settings(env).with_listen_address("127.0.0.1", port)
    limits = httpx.Limits(max_connections=args.concurrency * 4)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client, \
            httpx.AsyncClient(timeout=10.0) as wechat_http:
        provider = Payments(settings, CredentialSource(settings, wechat_http), wechat_http).default

        async def query(out_trade_no: str) -> str:
            return (await provider.query(out_trade_no)).trade_state

        token = _ok(await client.post("/admin/v1/auth/login", json={"username": "fault-run", "password": password}))
        admin = {"Authorization": f"Bearer {token['access_token']}"}
        return await fault_run(client, admin, query, orders=args.orders, concurrency=args.concurrency,
                               max_seconds=args.max_seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=120.0, help="longest wait for every order to settle")
    parser.add_argument("--query-schedule", default="1,2,4,8", help="YIJIAN_QUERY_SCHEDULE_S for the server")
    args = parser.parse_args()
    if not 1 <= args.orders <= 1000:
        parser.error("--orders must be 1..1000")
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    with tempfile.TemporaryDirectory(prefix="yijian-fault-") as tmp:
        env = _environment(Path(tmp), args.query_schedule)
        password = uuid.uuid4().hex
        subprocess.run([python, "-m", "app", "create-operator", "--username", "fault-run", "--password", password,
                        "--role", "operator"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([python, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=ROOT, env=env, start_new_session=True)
        try:
            asyncio.run(_wait_ready(base_url, server))
            result = asyncio.run(_run(args, base_url, env, password))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    ok = not result["mismatches"] and not result["double_paid"]
    print(f"fault run: {result['orders']} orders, {len(result['mismatches'])} mismatches, "
          f"{len(result['double_paid'])} paid twice — {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

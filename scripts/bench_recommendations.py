#!/usr/bin/env python3
"""Recommendations benchmark (issue 8): latency of GET /api/v1/recommendations for users with 10, 1,000 and
10,000 paid orders, in one run on PostgreSQL. The goal is flat: p50 at 10,000 ÷ p50 at 10 ≤ 1.5.

Everything happens on loopback and is torn down at the end (also on Ctrl-C or a failure): a fresh database
`yijian_bench_reco_<ts>` (dropped with FORCE), a Redis db (flushed at the start and the end), the BFF as its own
process (`python -m app serve`, one worker, the WeChat sandbox mounted in it).

How the histories are made, fast and honestly labelled: users log in through the API, an operator creates the
catalog and promotions through the admin API, and then the paid orders are **inserted directly** as PAID rows
(each with 1–3 lines drawn from the user's 60 favourite products, both payment methods, over two years), because
10,000 one-taps per user would take hours. Their aggregates are then made by **the backfill**,
`python -m app rebuild-recommendations --user …`, the same folds the outbox consumers apply. Requests are sent one
at a time, rotating over the sizes and users, so that the machine's noise falls on every size alike.

    .venv/bin/python scripts/bench_recommendations.py [--requests 600] [--users-per-size 3] [--redis-db 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SIZES = (10, 1_000, 10_000)
CATEGORIES = ("咖啡", "茶饮", "烘焙", "零食", "乳品", "水果", "日用", "冷冻")
FAVOURITES = 60
MAX_SECONDS = 600


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        pg = urlsplit(args.pg_url)
        if pg.hostname not in LOOPBACK:
            raise SystemExit("bench_recommendations: loopback PostgreSQL only")
        self.pg_host, self.pg_port, self.pg_user = pg.hostname, pg.port or 5432, pg.username or "postgres"
        self.database = f"yijian_bench_reco_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
        self.database_url = f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.database}"
        self.redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None
        self.created = False
        self.rng = random.Random(args.seed)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIJIAN_")}
        env.update({"YIJIAN_DATA_DIR": str(self.tmp / "data"), "YIJIAN_DATABASE_URL": self.database_url,
                    "YIJIAN_REDIS_URL": self.redis_url, "YIJIAN_LOG_LEVEL": "WARNING",
                    "YIJIAN_ACCESS_TTL_S": "86400", "PYTHONUNBUFFERED": "1"})
        return env

    async def pg(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(host=self.pg_host, port=self.pg_port, user=self.pg_user, database="postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def flush_redis(self) -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(self.redis_url)
        try:
            await redis.flushdb()
        finally:
            await redis.aclose()

    def run(self, *command: str) -> str:
        done = subprocess.run([sys.executable, "-m", "app", *command], cwd=ROOT, env=self.env(), capture_output=True,
                              text=True, timeout=MAX_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:1])} failed: {done.stdout}{done.stderr}")
        return done.stdout.strip()

    async def start(self) -> None:
        await self.pg(f'CREATE DATABASE "{self.database}"')
        self.created = True
        await self.flush_redis()
        (self.tmp / "data").mkdir()
        self.run("migrate")
        self.server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(self.port)], cwd=ROOT,
                                       env=self.env(), stdout=subprocess.DEVNULL, stderr=open(self.tmp / "serve.log", "w"))
        async with httpx.AsyncClient(timeout=2.0) as client:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if self.server.poll() is not None:
                    raise RuntimeError(f"serve exited: {(self.tmp / 'serve.log').read_text()[-2000:]}")
                try:
                    if (await client.get(f"{self.base}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError("serve not ready after 90 s")

    async def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.created and not self.args.keep_database:
            await self.pg(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        elif self.created:
            print(f"kept database {self.database} (users bench<size>x<n>); drop it when done")
        await self.flush_redis()

    async def seed_catalog(self, client: httpx.AsyncClient) -> list[dict]:
        self.run("create-operator", "--username", "bench", "--password", "benchpass123", "--role", "admin")
        login = await client.post("/admin/v1/auth/login", json={"username": "bench", "password": "benchpass123"})
        admin = {"authorization": f"Bearer {login.json()['access_token']}"}
        products = []
        for n in range(200):
            response = await client.post("/admin/v1/products", headers=admin, json={
                "sku": f"RECO-{n}", "name": f"商品{n}", "price_fen": self.rng.randrange(500, 8000, 100),
                "stock": 1_000_000, "category": CATEGORIES[n % len(CATEGORIES)]})
            products.append(response.json())
        for body in ({"name": "余额9折", "kind": "percent_off", "percent_off": 10, "conditions": {"payment_method": ["wallet"]}},
                     {"name": "满100减15", "kind": "threshold", "threshold_fen": 10000, "amount_off_fen": 1500},
                     {"name": "咖啡立减3元", "kind": "amount_off", "amount_off_fen": 300, "stackable": True,
                      "conditions": {"categories": ["咖啡"]}},
                     {"name": "广州新客立减5元", "kind": "amount_off", "amount_off_fen": 500,
                      "conditions": {"cities": ["广州市"], "new_user_only": True}}):
            response = await client.post("/admin/v1/promotions", headers=admin, json=body)
            assert response.status_code == 201, response.text
        return products

    async def make_users(self, client: httpx.AsyncClient) -> dict[int, list[dict]]:
        address = {"userName": "张三", "telNumber": "13800138000", "provinceName": "广东省", "cityName": "广州市",
                   "countyName": "天河区", "detailInfo": "体育西路1号"}
        users: dict[int, list[dict]] = {}
        for size in SIZES:
            for n in range(self.args.users_per_size):
                login = (await client.post("/api/v1/auth/login", json={"code": f"bench{size}x{n}:code"})).json()
                headers = {"authorization": f"Bearer {login['access_token']}"}
                await client.post("/api/v1/me/addresses", headers=headers, json=address)
                users.setdefault(size, []).append({"id": login["user"]["id"], "headers": headers})
        return users

    async def insert_orders(self, users: dict[int, list[dict]], products: list[dict]) -> int:
        """PAID order rows written directly (see the module docstring), then left to the backfill."""
        from app.core import db
        from app.core.security import new_id
        from app.orders.models import Order

        await db.init_db(self.database_url)
        total = 0
        now = datetime.now(timezone.utc)
        try:
            for size, members in users.items():
                for user in members:
                    favourites = self.rng.sample(products, FAVOURITES)
                    rows = []
                    for _ in range(size):
                        paid_at = now - timedelta(seconds=self.rng.uniform(3600, 730 * 86400))
                        chosen = self.rng.sample(favourites, self.rng.choice((1, 1, 2, 3)))
                        lines = [{"product_id": p["id"], "name": p["name"], "category": p["category"],
                                  "unit_price_fen": p["price_fen"], "quantity": 1, "line_total_fen": p["price_fen"]}
                                 for p in chosen]
                        payable = sum(line["line_total_fen"] for line in lines)
                        method = "wallet" if self.rng.random() < 0.6 else "wechatpay"
                        order_id = new_id("ord")
                        rows.append(Order(
                            id=order_id, user_id=user["id"], out_trade_no="YJ" + order_id.split("_", 1)[1],
                            status="PAID", lines=lines, items_total_fen=payable, discounts=[], discount_fen=0,
                            payable_fen=payable, payment_method=method, provider=method,
                            address={"city": "广州市", "name": "张三"}, invoice=None, expires_at=paid_at,
                            paid_at=paid_at))
                    await Order.bulk_create(rows, batch_size=1000)
                    total += len(rows)
        finally:
            await db.close_db()
        return total

    async def measure(self, client: httpx.AsyncClient, users: dict[int, list[dict]], products: list[dict]
                      ) -> dict[tuple[int, bool], list[float]]:
        cart = ",".join(f"{p['id']}:1" for p in products[:2])
        plan = [(size, user, with_items) for size in SIZES for user in users[size] for with_items in (False, True)]
        timings: dict[tuple[int, bool], list[float]] = {}
        for warm in plan * 5:
            await self.get(client, warm[1], cart if warm[2] else None)
        rounds = max(1, self.args.requests // self.args.users_per_size)
        for _ in range(rounds):
            for size, user, with_items in self.rng.sample(plan, len(plan)):
                started = time.perf_counter()
                await self.get(client, user, cart if with_items else None)
                timings.setdefault((size, with_items), []).append((time.perf_counter() - started) * 1000)
        return timings

    @staticmethod
    async def get(client: httpx.AsyncClient, user: dict, cart: str | None) -> dict:
        response = await client.get("/api/v1/recommendations", headers=user["headers"],
                                    params={"items": cart} if cart else None)
        if response.status_code != 200:
            raise RuntimeError(f"GET /recommendations answered {response.status_code}: {response.text[:300]}")
        return response.json()


async def main_async(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="yijian-bench-reco-"))
    bench = Bench(args, tmp)
    try:
        started = time.monotonic()
        await bench.start()
        async with httpx.AsyncClient(base_url=bench.base, timeout=30.0) as client:
            products = await bench.seed_catalog(client)
            users = await bench.make_users(client)
            t0 = time.monotonic()
            inserted = await bench.insert_orders(users, products)
            t1 = time.monotonic()
            ids = [arg for size in SIZES for user in users[size] for arg in ("--user", user["id"])]
            rebuilt = bench.run("rebuild-recommendations", *ids)
            t2 = time.monotonic()
            print(f"history: {inserted} PAID orders inserted in {t1 - t0:.1f} s; backfill: {rebuilt} in {t2 - t1:.1f} s")
            sample = await bench.get(client, users[10_000][0], None)
            print(f"a 10,000-order user: {sample['payment_method']['reason_code']} "
                  f"({sample['payment_method']['reason']}), {len(sample['buy_again'])} buy-again, "
                  f"{len(sample['offers'])} offers")
            timings = await bench.measure(client, users, products)
        print(f"\nGET /api/v1/recommendations, one request at a time, {args.users_per_size} users per size "
              f"(PostgreSQL, Redis, 1 worker, loopback)")
        print(f"{'paid orders':>12} {'items':>6} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        for (size, with_items), values in sorted(timings.items()):
            print(f"{size:>12,} {'yes' if with_items else 'no':>6} {len(values):>5} {percentile(values, 50):>8.2f} "
                  f"{percentile(values, 99):>8.2f} {statistics.fmean(values):>8.2f}")
        met = True
        for with_items in (False, True):
            ratio = percentile(timings[(10_000, with_items)], 50) / percentile(timings[(10, with_items)], 50)
            met &= ratio <= 1.5
            print(f"p50 at 10,000 ÷ p50 at 10 ({'with' if with_items else 'without'} items): {ratio:.2f}")
        print("goal (≤ 1.5):", "met" if met else "NOT met", f"— whole run {time.monotonic() - started:.0f} s")
        return 0
    finally:
        await bench.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="measured requests per size and variant")
    parser.add_argument("--users-per-size", type=int, default=3)
    parser.add_argument("--redis-db", type=int, default=9, help="dedicated Redis db, flushed (default 9)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep-database", action="store_true", help="leave the database for profiling")
    args = parser.parse_args()
    try:
        raise SystemExit(asyncio.run(asyncio.wait_for(main_async(args), MAX_SECONDS * 2)))
    except KeyboardInterrupt:
        raise SystemExit(130)


if __name__ == "__main__":
    main()

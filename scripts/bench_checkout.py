#!/usr/bin/env python3
"""Checkout benchmark (issues 3, 14): quote, one-tap (wallet, WeChat Pay) and notifications, each against its floor.

A bounded load run on loopback against the real PostgreSQL and Redis of this machine. Everything is set up and
torn down here: fresh databases (`yijian_bench_<ts>`, `yijian_bench_<ts>_baseline`, dropped at the end), a
dedicated Redis db (flushed at the start and the end), the WeChat sandbox as its own process, the BFF
(`python -m app serve --workers N`) and the baseline app (scripts/bench/baseline_app.py), seeded through the
admin and client APIs. The load generator (this process: asyncio + httpx) keeps a fixed number of requests in
flight; a warm-up is run first and left out of the figures. See scripts/bench/README.md.

    .venv/bin/python scripts/bench_checkout.py                       # 2 workers, 32 in flight, 2000 requests
    .venv/bin/python scripts/bench_checkout.py --workers 1,2         # the whole run once per worker count
    .venv/bin/python scripts/bench_checkout.py --requests 500 --max-seconds 20 --scenarios baseline,wallet
    .venv/bin/python scripts/bench_checkout.py --workers 1,2 --pin --repeat 3       # one process per core, 3 runs
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

try:
    import httpx
except ImportError:  # pragma: no cover - the venv has it
    print("bench_checkout: httpx is needed (run with .venv/bin/python)", file=sys.stderr)
    raise SystemExit(2)

ROOT = Path(__file__).resolve().parents[1]
BASELINE_APP = ROOT / "scripts" / "bench" / "baseline_app.py"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCENARIOS = ("baseline_quote", "baseline", "quote", "wallet", "wechatpay", "notify")
BASELINES = ("baseline_quote", "baseline")
TITLES = {
    "baseline_quote": "floor: JWT + JSON + pricing in memory",
    "baseline": "floor: 1 Redis RTT + 1 tx (5 statements)",
    "quote": "POST /checkout/quote",
    "wallet": "one-tap, wallet (PIN-free)",
    "wechatpay": "one-tap, WeChat Pay (sandbox)",
    "notify": "notify, signed, 30% duplicates",
}
# Each scenario's floor, and the goal of issue 14 (a ratio to that floor; for notify, answers per second).
FLOOR = {"baseline_quote": "baseline_quote", "baseline": "baseline", "quote": "baseline_quote",
         "wallet": "baseline", "wechatpay": "baseline", "notify": "baseline"}
GOALS = {"quote": "ratio >= 0.70", "wallet": "ratio >= 0.50, p99 <= 1.5x floor's", "wechatpay": "ratio >= 0.35",
         "notify": ">= 1000 req/s with 2 workers"}
DUPLICATE_SHARE = 0.30  # of the notifications sent, this share are second deliveries of one already in the list
PIN = "258147"  # not trivial: no run, no repeated digit
PIN_FREE_LIMIT_FEN = 30_000  # the most DESIGN allows; every bench cart is below it, so no argon2 runs
MAX_CREDIT_FEN = 1_000_000  # one admin credit at most (app/wallet/credit.py)
PRODUCTS = (  # (price_fen, category); the dearest cart (2 lines x 2 of the dearest) stays under the PIN-free limit
    (1500, "茶饮"), (1800, "茶饮"), (2200, "咖啡"), (2800, "咖啡"),
    (3000, "咖啡"), (3900, "周边"), (4500, "周边"), (5900, "周边"),
)
MAX_CART_FEN = 2 * 2 * max(price for price, _ in PRODUCTS)
ADDRESS = {"name": "张三", "phone": "13800138000", "province": "广东省", "city": "广州市", "district": "天河区",
           "detail": "体育西路1号", "postal_code": "510000"}


def promotions(budget: bool) -> list[dict[str, Any]]:
    """Three promotions so that pricing selects, stacks and checks conditions (cities, categories, method)."""
    coffee = {"name": "广州咖啡立减3元", "kind": "amount_off", "amount_off_fen": 300, "priority": 3,
              "stackable": True, "per_user_limit": 1_000_000,
              "conditions": {"categories": ["咖啡"], "cities": ["广州市"]}}
    if budget:  # every order that uses it then updates one promotion row: a hot row
        coffee["budget_fen"] = 1_000_000_000
    return [
        {"name": "满50减10", "kind": "threshold", "threshold_fen": 5000, "amount_off_fen": 1000, "priority": 10},
        {"name": "钱包支付95折", "kind": "percent_off", "percent_off": 5, "priority": 5, "stackable": True,
         "conditions": {"payment_method": ["wallet"]}},
        coffee,
    ]


def notification_body(keys: dict[str, Any], order: Any) -> bytes:
    """A TRANSACTION.SUCCESS notification for `order` (out_trade_no, payable_fen, openid), built as WeChat Pay
    builds it: the transaction encrypted with the APIv3 key (AEAD_AES_256_GCM) inside the JSON envelope."""
    import base64
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    now = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600))
    transaction = {
        "appid": keys["appid"], "mchid": keys["mchid"], "out_trade_no": order["out_trade_no"],
        "transaction_id": "42" + secrets.token_hex(13), "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "", "success_time": now,
        "payer": {"openid": order["openid"]},
        "amount": {"total": order["payable_fen"], "payer_total": order["payable_fen"], "currency": "CNY",
                   "payer_currency": "CNY"},
    }
    nonce = secrets.token_hex(6)
    sealed = AESGCM(keys["apiv3_key"].encode()).encrypt(
        nonce.encode(), json.dumps(transaction, ensure_ascii=False).encode(), b"transaction")
    return json.dumps({
        "id": str(uuid.uuid4()), "create_time": now, "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": base64.b64encode(sealed).decode(), "associated_data": "transaction",
                     "nonce": nonce},
    }, ensure_ascii=False).encode()


_PLATFORM_KEYS: dict[str, Any] = {}


def signed_headers(keys: dict[str, Any], body: bytes) -> dict[str, str]:
    """WeChat Pay's signature headers over `timestamp\nnonce\nbody\n` with the sandbox's platform key."""
    import base64
    import secrets

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    pem = keys["platform"]["private_key_pem"]
    key = _PLATFORM_KEYS.get(pem) or _PLATFORM_KEYS.setdefault(
        pem, serialization.load_pem_private_key(pem.encode(), password=None))
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signature = key.sign(timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n", padding.PKCS1v15(),
                         hashes.SHA256())
    return {"content-type": "application/json", "wechatpay-timestamp": timestamp, "wechatpay-nonce": nonce,
            "wechatpay-signature": base64.b64encode(signature).decode(),
            "wechatpay-serial": keys["platform"]["public_key_id"],
            "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048"}


# ---------------------------------------------------------------------------------------------- processes

class Processes:
    """Subprocesses this run started, each in its own session so that it and its workers stop together."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.running[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str, timeout: float = 15.0) -> None:
        proc = self.running.pop(name, None)
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            try:
                os.killpg(proc.pid, sig)  # the group this run created for it: the process and its workers
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        # Sanic's workers may outlive their parent by a moment: make sure none of the group is left.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------- CPU accounting

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid → (ppid, comm, utime+stime ticks) for every process we can read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        table[int(entry)] = (int(rest[1]), comm, int(rest[11]) + int(rest[12]))
    return table


def _machine_busy_seconds() -> float:
    """CPU-seconds the whole machine spent busy (all cores) since boot, from /proc/stat."""
    fields_ = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields_[3] + (fields_[4] if len(fields_) > 4 else 0)
    return (sum(fields_[:8]) - idle) / CLOCK_TICKS


def _ours_postgres(pid: int, databases: tuple[str, ...]) -> bool:
    """A backend of one of our databases, or a server process that serves everyone (checkpointer, WAL writer)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    if any(name in title for name in databases):
        return True
    return "(" not in title and "[local]" not in title  # no client address: not a client backend


def cpu_snapshot(roots: dict[str, list[int]], databases: tuple[str, ...] = ()) -> dict[str, float]:
    """CPU seconds so far: each named process tree, our PostgreSQL backends (and its shared processes), Redis,
    this process, and the whole machine (`machine`), so that work by anyone else shows up as `other`."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out: dict[str, float] = {}
    for name, root in roots.items():
        total, stack = 0, list(root)
        while stack:
            pid = stack.pop()
            if pid in table:
                total += table[pid][2]
            stack.extend(children.get(pid, ()))
        out[name] = total / CLOCK_TICKS
    out["postgres"] = sum(t for pid, (_, comm, t) in table.items()
                          if comm == "postgres" and _ours_postgres(pid, databases)) / CLOCK_TICKS
    out["redis"] = sum(t for _, comm, t in table.values() if comm.startswith("redis-server")) / CLOCK_TICKS
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["loadgen"] = usage.ru_utime + usage.ru_stime
    out["machine"] = _machine_busy_seconds()
    return out


def busy_elsewhere(seconds: float = 1.0, threshold: float = 0.15) -> list[str]:
    """Processes (not this one) that kept more than `threshold` of a core busy over `seconds`: a noisy machine."""
    first = _proc_table()
    time.sleep(seconds)
    second = _proc_table()
    busy = []
    for pid, (_, comm, ticks) in second.items():
        if pid == os.getpid() or pid not in first:
            continue
        share = (ticks - first[pid][2]) / CLOCK_TICKS / seconds
        if share > threshold:
            busy.append(f"pid {pid} {comm} {share:.0%}")
    return busy


# ----------------------------------------------------------------------------------------- load generator

@dataclass
class Result:
    scenario: str
    workers: int
    attempted: int = 0
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    time_capped: bool = False
    cpu: dict[str, float] = field(default_factory=dict)
    skipped: str | None = None
    db_check: str | None = None
    db_per_request: dict[str, float] = field(default_factory=dict)
    sql_active: Counter = field(default_factory=Counter)
    sql_samples: int = 0
    repetition: int = 0
    verified: bool | None = None  # notify: every order notified is PAID exactly once (None: not checked)

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000


RequestMaker = Callable[[int, int], tuple[str, dict[str, str], bytes]]


def _error_code(response: httpx.Response) -> str:
    try:
        code = response.json()["error"]["code"]
    except Exception:
        code = "?"
    return f"{response.status_code} {code}"


async def run_load(clients: list[httpx.AsyncClient], make: RequestMaker, result: Result, count: int, concurrency: int,
                   max_seconds: float) -> None:
    """`count` requests, `concurrency` in flight (slot i is virtual user i), stopping at `max_seconds`.

    Each slot has its own client with one keep-alive connection: one client shared by 32 tasks spends several
    times more CPU per request in httpcore's pool (encode/httpx#3215), CPU this 2-core machine needs.
    """
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + max_seconds

    async def slot(index: int) -> None:
        client = clients[index]
        while True:
            number = next(counter)
            if number >= count:
                return
            if time.perf_counter() >= deadline:
                result.time_capped = True
                return
            url, headers, body = make(index, number)
            result.attempted += 1
            sent = time.perf_counter()
            try:
                response = await client.post(url, headers=headers, content=body)
            except httpx.HTTPError as exc:
                key = f"transport {type(exc).__name__}"
                result.errors[key] += 1
                result.samples.setdefault(key, repr(exc)[:300])
                continue
            took = time.perf_counter() - sent
            if 200 <= response.status_code < 300:
                result.ok += 1
                result.latencies.append(took)
            else:
                key = _error_code(response)
                result.errors[key] += 1
                result.samples.setdefault(key, response.text[:600])

    tasks = [asyncio.create_task(slot(i)) for i in range(concurrency)]
    # In-flight requests get the client timeout (30 s) on top of the cap; anything still running is cancelled.
    try:
        _, pending = await asyncio.wait(tasks, timeout=max_seconds + 35)
    except asyncio.CancelledError:  # interrupted: stop every slot before the clients close
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
        result.time_capped = True
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        result.errors["cancelled at the time cap"] += len(pending)
    result.elapsed = time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- the run

@dataclass
class User:
    label: str
    user_id: str
    token: str


class Bench:
    def __init__(self, args: argparse.Namespace, procs: Processes, tmp: Path) -> None:
        self.args = args
        self.procs = procs
        self.tmp = tmp
        stamp = time.strftime("%Y%m%d%H%M%S") + f"_{os.getpid()}"
        self.app_db = f"yijian_bench_{stamp}"
        self.baseline_db = f"yijian_bench_{stamp}_baseline"
        self.created_dbs: list[str] = []
        pg = urlsplit(args.pg_url)
        self.pg_host, self.pg_port, self.pg_user = pg.hostname, pg.port or 5432, pg.username or "postgres"
        self.redis_url = f"redis://{args.redis_host}:{args.redis_port}/{args.redis_db}"
        self.users: list[User] = []
        self.product_ids: list[str] = []
        self.seeded = False
        self.log_notes: list[str] = []
        self.sandbox_port = free_port()
        self.rng = random.Random(args.seed)
        self.carts = [self._cart() for _ in range(997)]
        self.baseline_jwt_secret = uuid.uuid4().hex + uuid.uuid4().hex
        self.baseline_tokens = [self._baseline_token(i) for i in range(args.users)]
        self.notify_plan: list[tuple[dict[str, str], bytes]] = []  # (headers, body) of each notification to send
        self.notify_orders: list[str] = []  # the out_trade_no of every order notified in the current phase
        self.repetition = 0

    def _baseline_token(self, i: int) -> str:
        """An access token as the product signs it (iss, aud, typ, sid, jti), for the quote floor's JWT check."""
        import jwt

        now = int(time.time())
        return jwt.encode({"iss": "yijian", "aud": "yijian-app", "sub": f"u{i}", "typ": "access", "sid": "s",
                           "jti": uuid.uuid4().hex, "iat": now, "exp": now + 86400},
                          self.baseline_jwt_secret, algorithm="HS256")

    # ---- helpers
    def db_url(self, name: str) -> str:
        return f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{name}"

    def _cart(self) -> list[tuple[int, int]]:
        lines = self.rng.sample(range(len(PRODUCTS)), self.rng.choice((1, 1, 2)))
        return [(index, self.rng.choice((1, 1, 2))) for index in lines]

    def items(self, number: int, ids: list[str]) -> list[dict[str, Any]]:
        return [{"product_id": ids[index], "quantity": qty} for index, qty in self.carts[number % len(self.carts)]]

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YIJIAN_", "BENCH_"))}
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def app_env(self, port: int) -> dict[str, str]:
        env = self.base_env()
        env.update({
            "YIJIAN_DATA_DIR": str(self.tmp / "data"),
            "YIJIAN_DATABASE_URL": self.db_url(self.app_db),
            "YIJIAN_REDIS_URL": self.redis_url,
            "YIJIAN_LOG_LEVEL": "WARNING",
            "YIJIAN_WECHAT_BASE_URL": f"http://127.0.0.1:{self.sandbox_port}/sandbox/wechat",
            "YIJIAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            # Tokens outlive the run; unpaid WeChat Pay orders are not actively queried during it (see README).
            "YIJIAN_ACCESS_TTL_S": "86400",
            "YIJIAN_QUERY_SCHEDULE_S": self.args.query_schedule,
            "YIJIAN_RATE_LIMITS": "off",  # a bench user taps far more than 10 a minute (DESIGN §1)
        })
        return env

    async def pg(self, sql: str, database: str = "postgres") -> list:
        import asyncpg

        conn = await asyncpg.connect(host=self.pg_host, port=self.pg_port, user=self.pg_user, database=database)
        try:
            return await conn.fetch(sql)
        finally:
            await conn.close()

    async def sample_sql(self, database: str, result: "Result") -> None:
        """A sampling profiler for SQL: every 50 ms, which statements of this database are running right now."""
        import asyncpg

        conn = await asyncpg.connect(host=self.pg_host, port=self.pg_port, user=self.pg_user, database="postgres")
        try:
            while True:
                rows = await conn.fetch(
                    "SELECT query, wait_event_type FROM pg_stat_activity WHERE datname = $1 AND state = 'active'",
                    database)
                result.sql_samples += 1
                for row in rows:
                    text = " ".join(row["query"].split())[:150]
                    result.sql_active[text + (f"  [waiting: {row['wait_event_type']}]"
                                              if row["wait_event_type"] else "")] += 1
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    async def db_counters(self, database: str) -> dict[str, int]:
        """PostgreSQL's own counters for one database: transactions (every autocommit statement is one),
        index and sequential scans, rows inserted and updated. Read after a pause (stats are flushed lazily)."""
        await asyncio.sleep(11)  # PostgreSQL 15 flushes an idle backend's counters within 10 s
        rows = await self.pg(
            "SELECT d.xact_commit + d.xact_rollback AS xacts, d.tup_inserted AS inserted, d.tup_updated AS updated,"
            " (SELECT coalesce(sum(idx_scan), 0) + coalesce(sum(seq_scan), 0) FROM pg_stat_user_tables) AS scans"
            " FROM pg_stat_database d WHERE d.datname = current_database()", database)
        return {k: int(v) for k, v in dict(rows[0]).items()}

    async def wait_ready(self, name: str, url: str, timeout: float = 90.0) -> None:
        proc = self.procs.running[name]
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.procs.log_tail(name)}")
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError(f"{name} not ready at {url} after {timeout:.0f} s:\n{self.procs.log_tail(name)}")

    # ---- setup
    async def setup(self) -> None:
        from redis.asyncio import Redis

        for name in (self.app_db, self.baseline_db):
            await self.pg(f'CREATE DATABASE "{name}"')
            self.created_dbs.append(name)
        redis = Redis(host=self.args.redis_host, port=self.args.redis_port, db=self.args.redis_db)
        try:
            await redis.flushdb()
        finally:
            await redis.aclose()
        (self.tmp / "data").mkdir()
        env = self.base_env()
        env.update({"YIJIAN_DATA_DIR": str(self.tmp / "data"), "YIJIAN_LOG_LEVEL": "WARNING"})
        self.procs.start("sandbox", [sys.executable, "-m", "app", "sandbox", "--port", str(self.sandbox_port)], env)
        await self.wait_ready("sandbox", f"http://127.0.0.1:{self.sandbox_port}/sandbox/wechat/control/keys")

    async def seed(self, base: str, env: dict[str, str]) -> None:
        """Operator, products, promotions, then users with wallet, PIN, PIN-free limit and an address."""
        made = subprocess.run([sys.executable, "-m", "app", "create-operator", "--username", "bench",
                               "--password", "benchpass123", "--role", "admin"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if made.returncode != 0:
            raise RuntimeError(f"create-operator failed: {made.stdout}{made.stderr}")
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
            async def call(method: str, path: str, token: str | None = None, expect=(200, 201, 204), **kw):
                headers = {"authorization": f"Bearer {token}"} if token else {}
                response = await client.request(method, path, headers=headers, **kw)
                if response.status_code not in expect:
                    raise RuntimeError(f"seeding: {method} {path} answered {response.status_code}: "
                                       f"{response.text[:500]}")
                return response.json() if response.content else None

            admin = (await call("POST", "/admin/v1/auth/login",
                                json={"username": "bench", "password": "benchpass123"}))["access_token"]
            for i, (price, category) in enumerate(PRODUCTS):
                product = await call("POST", "/admin/v1/products", admin, json={
                    "sku": f"BENCH-{i}", "name": f"压测商品{i}", "price_fen": price, "stock": 100_000_000,
                    "category": category})
                self.product_ids.append(product["id"])
            for promotion in promotions(self.args.promo_budget):
                await call("POST", "/admin/v1/promotions", admin, json=promotion)

            runs = len(self.args.workers) * self.args.repeat
            per_user = math.ceil((self.args.requests + self.args.warmup + 2) / self.args.users) * runs
            credits = min(200, math.ceil(per_user * MAX_CART_FEN * 1.1 / MAX_CREDIT_FEN) + 1)
            stamp = uuid.uuid4().hex[:8]
            gate = asyncio.Semaphore(8)

            async def make_user(i: int) -> User:
                async with gate:
                    label = f"bench{i}"
                    login = await call("POST", "/api/v1/auth/login", json={"code": f"{label}:{stamp}"})
                    user = User(label, login["user"]["id"], login["access_token"])
                    for _ in range(credits):
                        await call("POST", f"/admin/v1/wallets/{user.user_id}/credit", admin,
                                   json={"amount_fen": MAX_CREDIT_FEN, "reason": "bench"})
                    # a PIN needs a bound phone (DESIGN §7): the sandbox's getPhoneNumber code
                    await call("POST", "/api/v1/me/phone", user.token, json={"code": "phone:13900001111"})
                    await call("PUT", "/api/v1/wallet/pin", user.token, json={"pin": PIN})
                    await call("PATCH", "/api/v1/wallet", user.token,
                               json={"pin_free_limit_fen": PIN_FREE_LIMIT_FEN, "pin": PIN})
                    await call("POST", "/api/v1/me/addresses", user.token, json=ADDRESS)
                    return user

            self.users = list(await asyncio.gather(*(make_user(i) for i in range(self.args.users))))
        self.seeded = True
        print(f"  seeded: {len(self.product_ids)} products, {len(promotions(self.args.promo_budget))} promotions, "
              f"{len(self.users)} users (wallet {credits * MAX_CREDIT_FEN // 100} yuan each, PIN set, PIN-free "
              f"limit {PIN_FREE_LIMIT_FEN} fen, default address in 广州市)", flush=True)

    # ---- scenarios
    def maker(self, scenario: str, bases: list[str], offset: int = 0) -> RequestMaker:
        """Requests of `scenario`; slot i talks to server i mod len(bases) (one process per core: --pin)."""
        json_header = {"content-type": "application/json"}
        ids = [f"p{i}" for i in range(len(PRODUCTS))]
        if scenario == "baseline":
            def make(slot: int, number: int):
                body = {"user_id": f"u{slot % self.args.users}", "items": self.items(number, ids)}
                return (f"{bases[slot % len(bases)]}/order", {**json_header, "idempotency-key": uuid.uuid4().hex},
                        json.dumps(body).encode())
            return make
        if scenario == "baseline_quote":
            def make(slot: int, number: int):
                headers = {**json_header, "authorization": f"Bearer {self.baseline_tokens[slot % self.args.users]}"}
                body = {"items": self.items(number, ids), "payment_method": "wallet"}
                return f"{bases[slot % len(bases)]}/quote", headers, json.dumps(body).encode()
            return make
        if scenario == "notify":
            def make(slot: int, number: int):
                headers, body = self.notify_plan[(offset + number) % len(self.notify_plan)]
                return f"{bases[slot % len(bases)]}/notify/wechatpay", headers, body
            return make

        path = "/api/v1/checkout/quote" if scenario == "quote" else "/api/v1/checkout/one-tap"
        method = "wechatpay" if scenario == "wechatpay" else "wallet"

        def make(slot: int, number: int):
            user = self.users[slot % len(self.users)]
            headers = {**json_header, "authorization": f"Bearer {user.token}"}
            if scenario != "quote":
                headers["idempotency-key"] = uuid.uuid4().hex  # a fresh key for every one-tap
            body = {"items": self.items(number, self.product_ids), "payment_method": method}
            return f"{bases[slot % len(bases)]}{path}", headers, json.dumps(body).encode()
        return make

    # ---- notifications (issue 14): signed as WeChat Pay signs them, for orders made beforehand
    async def prepare_notifications(self, bases: list[str]) -> None:
        """Make the orders (WeChat Pay one-taps, not measured), then sign one TRANSACTION.SUCCESS for each and a
        second delivery (fresh timestamp, nonce and signature, as WeChat's retries are) for 30% of them."""
        args = self.args
        total = args.warmup + args.requests
        fresh = math.ceil(total / (1 + DUPLICATE_SHARE))
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0)) for _ in range(args.concurrency)]
        made = Result("wechatpay", 0)
        try:
            await run_load(clients, self.maker("wechatpay", bases), made, fresh, args.concurrency, 120)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
        if made.errors:
            raise RuntimeError(f"making the orders to notify: {dict(made.errors)}")
        rows = await self.pg("SELECT o.out_trade_no, o.payable_fen, u.openid FROM orders o JOIN users u "
                             "ON u.id = o.user_id WHERE o.status = 'PAYING' AND o.prepay_id IS NOT NULL "
                             f"ORDER BY o.created_at DESC LIMIT {fresh}", self.app_db)
        async with httpx.AsyncClient(timeout=10.0) as client:
            keys = (await client.get(f"http://127.0.0.1:{self.sandbox_port}/sandbox/wechat/control/keys")).json()
        bodies = [(row["out_trade_no"], notification_body(keys, row)) for row in rows]
        sends = bodies + self.rng.sample(bodies, min(len(bodies), total - len(bodies)))
        self.rng.shuffle(sends)
        self.notify_orders = [out_trade_no for out_trade_no, _ in bodies]
        self.notify_plan = [(signed_headers(keys, body), body) for _, body in sends]

    async def verify_notified(self, result: Result) -> None:
        """Every order notified is PAID, with exactly one payment and one transition to PAID."""
        wanted = ",".join(f"'{no}'" for no in self.notify_orders)
        rows = await self.pg(
            "SELECT o.status, (SELECT count(*) FROM payments p WHERE p.order_id = o.id) AS payments,"
            " (SELECT count(*) FROM order_transitions t WHERE t.order_id = o.id AND t.to_status = 'PAID') AS paid"
            f" FROM orders o WHERE o.out_trade_no IN ({wanted})", self.app_db)
        once = sum(1 for r in rows if r["status"] == "PAID" and r["payments"] == 1 and r["paid"] == 1)
        result.verified = once == len(self.notify_orders) == len(rows)
        result.db_check = (f"{once} of {len(self.notify_orders)} orders notified are PAID with exactly one payment "
                           f"and one transition to PAID ({len(self.notify_plan)} notifications sent, warm-up "
                           f"included){'' if result.verified else '  <-- FAILED'}")

    async def measure(self, scenario: str, bases: list[str], workers: int, roots: dict[str, list[int]]) -> Result:
        args = self.args
        result = Result(scenario, workers, repetition=self.repetition)
        if scenario == "notify":
            await self.prepare_notifications(bases)
        warm_make = self.maker(scenario, bases)
        make = self.maker(scenario, bases, offset=args.warmup)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0)) for _ in range(args.concurrency)]
        try:
            # One probe: an endpoint that does not exist yet is reported once instead of measured 2000 times.
            url, headers, body = warm_make(0, 0)
            probe = await clients[0].post(url, headers=headers, content=body)
            if probe.status_code == 404 or probe.status_code == 405:
                result.skipped = f"endpoint missing: {probe.status_code} {_error_code(probe).split(' ', 1)[1]}"
                return result
            if not 200 <= probe.status_code < 300:
                print(f"    probe answered {probe.status_code}: {probe.text[:400]}", flush=True)
            if args.warmup:
                warm = Result(scenario, workers)
                await run_load(clients, warm_make, warm, args.warmup, args.concurrency, min(args.max_seconds, 30))
                if warm.errors:
                    print(f"    warm-up errors: {dict(warm.errors)}", flush=True)
            database = self.baseline_db if scenario in BASELINES else self.app_db
            counters_before = await self.db_counters(database)
            before = cpu_snapshot(roots, (self.app_db, self.baseline_db))
            sampler = asyncio.create_task(self.sample_sql(database, result))
            try:
                await run_load(clients, make, result, args.requests, args.concurrency, args.max_seconds)
            finally:
                sampler.cancel()
                await asyncio.gather(sampler, return_exceptions=True)
            after = cpu_snapshot(roots, (self.app_db, self.baseline_db))
        finally:
            await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
        counters_after = await self.db_counters(database)
        if result.ok:
            result.db_per_request = {k: (counters_after[k] - counters_before[k]) / result.attempted
                                     for k in counters_after}
        result.cpu = {name: after[name] - before.get(name, 0.0) for name in after}
        machine_total = result.cpu.pop("machine")
        result.cpu["other"] = max(0.0, machine_total - sum(result.cpu.values()))
        if scenario == "notify":
            await self.verify_notified(result)
        elif scenario in ("wallet", "wechatpay"):
            try:
                rows = await self.pg("SELECT status, payment_method, count(*) AS n FROM orders "
                                     "GROUP BY status, payment_method ORDER BY 1, 2", self.app_db)
                result.db_check = ", ".join(f"{r['payment_method']}/{r['status']}={r['n']}" for r in rows)
            except Exception as exc:
                result.db_check = f"could not read orders: {type(exc).__name__}: {exc}"
        return result

    async def show_table_scans(self) -> None:
        """Which tables PostgreSQL scanned, and how: sequential scans reading many rows are the first suspect."""
        try:
            rows = await self.pg(
                "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_live_tup,"
                " last_autoanalyze IS NOT NULL OR last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables"
                " ORDER BY seq_tup_read DESC, idx_scan DESC LIMIT 8", self.app_db)
        except Exception as exc:
            print(f"  (table statistics unavailable: {exc})")
            return
        print("  BFF database, cumulative per table (top by rows read in sequential scans):")
        print(f"    {'table':<24} {'seq_scan':>9} {'seq_tup_read':>13} {'idx_scan':>9} {'live rows':>10} analyzed")
        for r in rows:
            print(f"    {r['relname']:<24} {r['seq_scan']:>9} {r['seq_tup_read']:>13} {r['idx_scan']:>9} "
                  f"{r['n_live_tup']:>10} {r['analyzed']}")

    def show_log(self, name: str) -> None:
        """The server's log is at WARNING: anything in it is worth a look. Show the first traceback whole."""
        path = self.procs.log_dir / f"{name}.log"
        if not path.exists():
            return
        lines = [line for line in path.read_text(errors="replace").splitlines()
                 if line.strip() and " INFO: " not in line]  # Sanic's own start-up lines ignore the level
        if not lines:
            return
        tracebacks = sum("Traceback" in line for line in lines)
        first = next((i for i, line in enumerate(lines) if "Traceback" in line), None)
        shown = lines[max(0, first - 2):first + 40] if first is not None else lines[-15:]
        print(f"  {name} log: {len(lines)} lines, {tracebacks} traceback(s); "
              f"{'the first traceback' if first is not None else 'last lines'}:")
        print("    " + "\n    ".join(shown))
        self.log_notes.append(f"{name}: {len(lines)} log lines at WARNING+, {tracebacks} traceback(s)")

    async def start_servers(self, name: str, argv: Callable[[int, int], list[str]],
                            env: Callable[[int], dict[str, str]], workers: int, ready: str) -> list[str]:
        """One server with `workers` workers or, with --pin, `workers` single-process servers, server i pinned
        to core i (taskset), each on its own port. Started one after the other (the first migrates)."""
        count, per_server = (workers, 1) if self.args.pin else (1, workers)
        bases = []
        for i in range(count):
            port = free_port()
            pin = ["taskset", "-c", str(i % os.cpu_count())] if self.args.pin and shutil.which("taskset") else []
            self.procs.start(f"{name}-{i}", [*pin, *argv(port, per_server)], env(port))
            await self.wait_ready(f"{name}-{i}", f"http://127.0.0.1:{port}{ready}")
            bases.append(f"http://127.0.0.1:{port}")
        print(f"  {name} up on {', '.join(bases)} ({count} process(es) x {per_server} worker(s)"
              f"{', pinned one per core' if self.args.pin else ''})", flush=True)
        return bases

    def server_pids(self, name: str) -> list[int]:
        return [proc.pid for key, proc in self.procs.running.items() if key.startswith(f"{name}-")]

    def stop_servers(self, name: str) -> None:
        for key in [key for key in self.procs.running if key.startswith(f"{name}-")]:
            self.procs.stop(key)
            self.show_log(key)

    async def run_baseline(self, workers: int, scenarios: list[str]) -> list[Result]:
        def env(port: int) -> dict[str, str]:
            env = self.base_env()
            env.update({"BENCH_BASELINE_DATABASE_URL": self.db_url(self.baseline_db),
                        "BENCH_BASELINE_REDIS_URL": self.redis_url, "BENCH_BASELINE_USERS": str(self.args.users),
                        "BENCH_BASELINE_JWT_SECRET": self.baseline_jwt_secret,
                        "BENCH_BASELINE_CATALOG": json.dumps({"products": PRODUCTS,
                                                              "promotions": promotions(False)})})
            return env

        name = f"baseline-w{workers}"
        results = []
        try:
            bases = await self.start_servers(
                name, lambda port, n: [sys.executable, str(BASELINE_APP), "--port", str(port), "--workers", str(n)],
                env, workers, "/readyz")
            for scenario in scenarios:
                print(f"  measuring {scenario}", flush=True)
                results.append(await self.measure(scenario, bases, workers,
                                                  {"app": self.server_pids(name),
                                                   "sandbox": [self.procs.running["sandbox"].pid]}))
        finally:
            self.stop_servers(name)
        return results

    async def run_product(self, workers: int, scenarios: list[str]) -> list[Result]:
        name = f"bff-w{workers}"
        profiler = []
        if self.args.profile:  # cProfile around the whole (single-process) BFF; it writes on a clean stop
            profiler = ["-m", "cProfile", "-o", str(Path(self.args.profile).resolve() / f"bff-w{workers}.prof")]
        results = []
        try:
            bases = await self.start_servers(
                name, lambda port, n: [sys.executable, *profiler, "-m", "app", "serve", "--port", str(port),
                                       "--workers", str(n)], self.app_env, workers, "/readyz")
            if not self.seeded:
                await self.seed(bases[0], self.app_env(int(bases[0].rsplit(":", 1)[1])))
            for scenario in scenarios:
                print(f"  measuring {scenario}", flush=True)
                results.append(await self.measure(scenario, bases, workers,
                                                  {"app": self.server_pids(name),
                                                   "sandbox": [self.procs.running["sandbox"].pid]}))
                dead = [key for key in self.procs.running if key.startswith(f"{name}-")
                        and self.procs.running[key].poll() is not None]
                if dead:
                    raise RuntimeError(f"the BFF died during {scenario}:\n{self.procs.log_tail(dead[0])}")
            await self.show_table_scans()
        finally:
            self.stop_servers(name)
        return results

    def pin_load_generator(self, workers: int) -> None:
        """With --pin, the load generator gets the cores the servers do not use, if any are left."""
        cores = os.cpu_count() or 1
        if not self.args.pin:
            return
        if workers < cores:
            os.sched_setaffinity(0, set(range(workers, cores)))
            print(f"  load generator pinned to core(s) {workers}..{cores - 1}", flush=True)
        else:
            os.sched_setaffinity(0, set(range(cores)))
            print(f"  {workers} server process(es) on {cores} cores: no core left for the load generator alone; "
                  "it shares them", flush=True)

    async def run(self) -> list[Result]:
        await self.setup()
        results: list[Result] = []
        wanted = self.args.scenarios
        for workers in self.args.workers:
            self.pin_load_generator(workers)
            for repetition in range(self.args.repeat):
                self.repetition = repetition
                print(f"\n== {workers} worker(s), run {repetition + 1} of {self.args.repeat} ==", flush=True)
                floors = [s for s in BASELINES if s in wanted]
                if floors:
                    results.extend(await self.run_baseline(workers, floors))
                product = [s for s in SCENARIOS if s in wanted and s not in BASELINES]
                if product:
                    results.extend(await self.run_product(workers, product))
        self.show_log("sandbox")
        return results

    def cleanup(self) -> None:
        self.procs.stop_all()
        if self.created_dbs:
            async def drop():
                for name in self.created_dbs:
                    await self.pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            try:
                asyncio.run(drop())
                print(f"dropped databases: {', '.join(self.created_dbs)}")
            except Exception as exc:
                print(f"could not drop {self.created_dbs}: {exc}", file=sys.stderr)

        async def flush():
            from redis.asyncio import Redis

            redis = Redis(host=self.args.redis_host, port=self.args.redis_port, db=self.args.redis_db)
            try:
                await redis.flushdb()
            finally:
                await redis.aclose()
        try:
            asyncio.run(flush())
        except Exception as exc:
            print(f"could not flush Redis db {self.args.redis_db}: {exc}", file=sys.stderr)


# ------------------------------------------------------------------------------------------------ report

def machine() -> list[str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for package in ("sanic", "tortoise-orm", "asyncpg", "redis", "httpx", "uvloop"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:
            pass
    return [f"nproc {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}), CPU {model}",
            f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}",
            ", ".join(versions)]


def report(results: list[Result], args: argparse.Namespace, extra: list[str]) -> None:
    print("\n" + "=" * 100)
    print("checkout benchmark — loopback, real PostgreSQL and Redis")
    for line in machine() + extra:
        print(f"  {line}")
    print(f"  concurrency {args.concurrency}, {args.requests} requests per scenario (cap {args.max_seconds:g} s), "
          f"warm-up {args.warmup} requests not counted, {args.users} virtual users")
    print("  NOTE: the load generator (httpx, this process) runs on the same "
          f"{os.cpu_count()} cores as the servers, PostgreSQL, Redis and the sandbox; see its share below.")
    if args.pin:
        print("  --pin: one single-process server per worker, server i on core i (taskset); the load generator on "
              "the cores left over, if any")
    print(f"  each figure: the median of {args.repeat} run(s), [min–max] when more than one")
    header = f"{'workers':>7}  {'scenario':<40} {'req/s':>17} {'p50 ms':>7} {'p99 ms':>7} {'app CPU ms/req':>15} " \
             f"{'ratio to floor':>17}  goal"
    print("\n" + header)
    print("-" * len(header))
    floors = {(r.workers, r.repetition, r.scenario): r for r in results if r.scenario in BASELINES and r.ok}
    groups: dict[tuple[int, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.workers, r.scenario), []).append(r)

    def spread(values: list[float], fmt: str) -> str:
        if not values:
            return "—"
        middle = sorted(values)[len(values) // 2]
        text = format(middle, fmt)
        return text if len(values) == 1 else f"{text} [{format(min(values), fmt)}–{format(max(values), fmt)}]"

    for (workers, scenario), runs in groups.items():
        measured = [r for r in runs if not r.skipped and r.ok]
        if not measured:
            why = next((r.skipped for r in runs if r.skipped), "no 2xx answer")
            print(f"{workers:>7}  {TITLES[scenario]:<40} ({why})")
            continue
        ratios = [r.rps / floors[(r.workers, r.repetition, FLOOR[scenario])].rps for r in measured
                  if (r.workers, r.repetition, FLOOR[scenario]) in floors]
        p99_ratios = [r.percentile_ms(99) / floors[(r.workers, r.repetition, FLOOR[scenario])].percentile_ms(99)
                      for r in measured if (r.workers, r.repetition, FLOOR[scenario]) in floors]
        cpu = [r.cpu["app"] * 1000 / r.ok for r in measured if r.cpu]
        flags = "".join([" (time cap)" if any(r.time_capped for r in runs) else "",
                         f" ({sum(sum(r.errors.values()) for r in runs)} errors)"
                         if any(r.errors for r in runs) else "",
                         " (NOT VERIFIED)" if any(r.verified is False for r in runs) else ""])
        goal = GOALS.get(scenario, "")
        if scenario == "wallet" and p99_ratios:
            goal += f"; p99/floor p99 {spread(p99_ratios, '.2f')}"
        print(f"{workers:>7}  {TITLES[scenario]:<40} {spread([r.rps for r in measured], '.0f'):>17} "
              f"{spread([r.percentile_ms(50) for r in measured], '.1f'):>7} "
              f"{spread([r.percentile_ms(99) for r in measured], '.1f'):>7} {spread(cpu, '.2f'):>15} "
              f"{spread(ratios, '.2f'):>17}  {goal}{flags}")
    print("\nreq/s counts 2xx answers only; p50/p99 are of 2xx answers (medians of the runs); ratio = req/s / the "
          "floor's req/s in the same run and worker count (quote: the in-memory quote floor; one-taps and notify: "
          "the transaction floor); app CPU ms/req = the server's CPU-seconds / 2xx answers.")

    errors = [r for r in results if r.errors]
    if errors:
        print("\nnon-2xx answers and transport errors, by code (first body of each):")
        for r in errors:
            for key, n in r.errors.most_common():
                print(f"  w{r.workers} {r.scenario:<10} {n:>6} × {key}")
                if key in r.samples:
                    print(f"{'':>20}{r.samples[key][:400]}")

    measured = [r for r in results if r.cpu and r.elapsed]
    if measured:
        print("\nCPU during the measured phase, in cores busy (CPU-seconds / wall seconds; the machine has "
              f"{os.cpu_count()}), and server CPU per 2xx request:")
        head = f"{'workers':>7}  {'scenario':<10} {'loadgen':>8} {'app':>6} {'sandbox':>8} {'postgres':>9} " \
               f"{'redis':>6} {'other':>6} {'total':>6}  {'app ms/req':>10} {'pg ms/req':>9}"
        print(head)
        print("-" * len(head))
        for r in measured:
            cores = {k: v / r.elapsed for k, v in r.cpu.items()}
            per = (lambda k: f"{r.cpu[k] * 1000 / r.ok:.2f}" if r.ok else "—")
            print(f"{r.workers:>7}  {r.scenario:<10} {cores['loadgen']:>8.2f} {cores['app']:>6.2f} "
                  f"{cores['sandbox']:>8.2f} {cores['postgres']:>9.2f} {cores['redis']:>6.2f} "
                  f"{cores['other']:>6.2f} {sum(cores.values()):>6.2f}  {per('app'):>10} {per('postgres'):>9}"
                  f"  (run {r.repetition + 1})")
        print("(app = the BFF, or the baseline app, with all its workers; postgres = the backends of the bench "
              "databases and PostgreSQL's shared processes; other = everything else the machine did, kernel "
              "included (loopback TCP is kernel time); well above ~0.2, someone else was using the machine and the figures are disturbed)")
    counted = [r for r in results if r.db_per_request]
    if counted:
        print("\nPostgreSQL work per request (pg_stat_database / pg_stat_user_tables of the scenario's database; "
              "an autocommit statement counts as one transaction; approximate):")
        print(f"{'workers':>7}  {'scenario':<10} {'xacts':>7} {'scans':>7} {'inserted':>9} {'updated':>8}")
        for r in counted:
            d = r.db_per_request
            print(f"{r.workers:>7}  {r.scenario:<10} {d['xacts']:>7.1f} {d['scans']:>7.1f} {d['inserted']:>9.1f} "
                  f"{d['updated']:>8.1f}")
    sampled = [r for r in results if r.sql_samples]
    if sampled:
        print("\nSQL running in PostgreSQL, sampled every 50 ms during the measured phase (mean number of backends "
              "busy with each statement; the top 5):")
        for r in sampled:
            busy = sum(r.sql_active.values()) / r.sql_samples
            print(f"  w{r.workers} {r.scenario}: {busy:.2f} backends busy on average")
            for text, n in r.sql_active.most_common(5):
                print(f"    {n / r.sql_samples:5.2f}  {text}")
    checks = [r for r in results if r.db_check]
    if checks:
        print("\norders in the database after each one-tap scenario (cumulative):")
        for r in checks:
            print(f"  w{r.workers} {r.scenario:<10} {r.db_check}")


# -------------------------------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="2",
                        help="BFF (and baseline) worker count; a comma list runs everything once per count, "
                             "e.g. 1,2 (default 2)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per scenario (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per scenario, not counted")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="hard time cap per scenario (default 60)")
    parser.add_argument("--users", type=int, default=None, help="virtual users (default: = concurrency)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"subset of {','.join(SCENARIOS)}")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="where to create (and drop) the bench databases; trust auth")
    parser.add_argument("--redis-host", default="127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=9, help="dedicated Redis db, flushed (default 9)")
    parser.add_argument("--promo-budget", action="store_true",
                        help="give the coffee promotion a budget: every coffee order then updates one row")
    parser.add_argument("--query-schedule", default="3600",
                        help="YIJIAN_QUERY_SCHEDULE_S for the BFF (default 3600: no active query of the "
                             "never-paid WeChat Pay orders during the run)")
    parser.add_argument("--seed", type=int, default=3, help="seed of the carts")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure everything this many times per worker count; the table shows the median "
                             "and the spread (default 1)")
    parser.add_argument("--pin", action="store_true",
                        help="one process per core: N single-process servers for --workers N, server i pinned to "
                             "core i with taskset, the load generator on the cores left over")
    parser.add_argument("--profile", metavar="DIR",
                        help="run the BFF under cProfile (needs --workers 1; figures are then slower) and write "
                             "DIR/bff-w1.prof; read it with python -m pstats")
    args = parser.parse_args(argv)
    try:
        args.workers = [int(part) for part in args.workers.split(",")]
    except ValueError:
        parser.error("--workers takes a number or a comma list of numbers")
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.users = args.users or args.concurrency
    if min(args.workers) < 1 or args.concurrency < 1 or args.requests < 1 or args.max_seconds <= 0 \
            or args.users < 1 or args.warmup < 0 or args.repeat < 1:
        parser.error("workers, concurrency, requests, users and max-seconds must be positive")
    if args.pin and not shutil.which("taskset"):
        print("bench_checkout: taskset not found: --pin runs one process per worker without pinning",
              file=sys.stderr)
    if args.profile and args.workers != [1]:
        parser.error("--profile needs --workers 1 (cProfile sees one process)")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    pg_host = urlsplit(args.pg_url).hostname
    if pg_host not in LOOPBACK or args.redis_host not in LOOPBACK:
        parser.error("the benchmark only runs on loopback (PostgreSQL and Redis on 127.0.0.1)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum, frame):  # a plain kill cleans up like Ctrl-C (asyncio.run then cancels the run cleanly)
        signal.raise_signal(signal.SIGINT)

    # A shell starts background jobs with SIGINT ignored; take it back so that an interrupt always cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_term)
    try:
        import uvloop  # the servers run on it too (Sanic picks it up)

        uvloop.install()
    except ImportError:
        pass
    tmp = Path(tempfile.mkdtemp(prefix="yijian_bench_"))
    bench = Bench(args, Processes(tmp), tmp)
    print("\n".join(machine()))
    print(f"temp dir {tmp} (server logs); databases {bench.app_db}, {bench.baseline_db}; Redis db {args.redis_db}",
          flush=True)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    noisy = busy_elsewhere()
    if noisy:
        print(f"WARNING: the machine is not idle (load {' '.join(load_before)}): {'; '.join(noisy)} — "
              "figures will be lower and noisier", flush=True)
    started = time.monotonic()
    results: list[Result] = []
    status = 0
    try:
        extra = []
        results = asyncio.run(bench.run())
        try:
            pg_version = asyncio.run(bench.pg("SHOW server_version"))[0][0]
            extra.append(f"PostgreSQL {pg_version} on {bench.pg_host}:{bench.pg_port}, "
                         f"Redis {args.redis_host}:{args.redis_port}/{args.redis_db}")
        except Exception:
            pass
        extra.append(f"wall time of the whole run {time.monotonic() - started:.0f} s; load average before "
                     f"{' '.join(load_before)}, after {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        if noisy:
            extra.append(f"WARNING: other processes were busy at the start: {'; '.join(noisy)}")
        extra.extend(bench.log_notes)
        report(results, args, extra)
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        status = 130
    except Exception as exc:
        print(f"\nbench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # cleanup is not interrupted halfway
        bench.cleanup()
        if status == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"server logs kept in {tmp}", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return status


if __name__ == "__main__":
    sys.exit(main())

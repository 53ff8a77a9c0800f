"""Command line: `python -m app serve|worker|migrate|create-operator|seed-demo|sandbox|rebuild-recommendations|reconcile`
(also installed as `yijian`)."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import glob
import ipaddress
import os
import shutil
import sys
import tempfile
from functools import partial

from app.core.settings import Settings, SettingsError, load_settings
from app.operators.roles import OPERATOR, ROLES

# Each command imports the rest of the app inside its own function: `serve` must name prometheus-client's
# multiprocess directory before anything imports it (`_metrics_directory`), and the other commands stay light.


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"yijian: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _warn_if_sandbox_is_reachable(host: str, sandbox: bool) -> None:
    """The sandbox's control API pays any order and hands out its keys to whoever asks: say so, loudly, when
    it listens beyond loopback."""
    if not sandbox or _loopback(host):
        return
    print(f"yijian: WARNING: the WeChat sandbox listens on {host or '*'}, beyond loopback: anyone who reaches this "
          "port can mark any order paid (POST /sandbox/wechat/control/pay) and read the sandbox's keys "
          "(GET /sandbox/wechat/control/keys); keep the sandbox on 127.0.0.1",
          file=sys.stderr, flush=True)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def _env_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


def _metrics_directory(workers: int) -> None:
    """Where prometheus-client's multiprocess mode keeps each worker's values (app/core/metrics.py): set before
    anything imports prometheus-client and before the workers start, emptied of an earlier run's files. Unless
    the operator names one in PROMETHEUS_MULTIPROC_DIR, several workers get a fresh private directory, removed
    at exit; one process keeps its values in memory."""
    named = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if named:
        os.makedirs(named, exist_ok=True)
        for stale in glob.glob(os.path.join(named, "*.db")):
            os.remove(stale)
    elif workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path = tempfile.mkdtemp(prefix="yijian-metrics-")
        atexit.register(shutil.rmtree, path, True)


def _serve(args: argparse.Namespace) -> None:
    _metrics_directory(args.workers)  # first: importing the app imports prometheus-client
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from app.core import db
    from app.main import create_app

    settings = _settings().with_listen_address(args.host, args.port)
    _warn_if_sandbox_is_reachable(args.host, settings.sandbox)
    if args.workers > 1 and (settings.redis_url is None or settings.database_url.startswith("sqlite")):
        print("yijian: --workers > 1 needs YIJIAN_DATABASE_URL=postgres://... and YIJIAN_REDIS_URL=redis://... "
              "(the embedded default is one process)", file=sys.stderr)
        raise SystemExit(2)
    if args.workers > 1 and settings.sandbox and not _env_set("YIJIAN_WECHAT_BASE_URL"):
        print("yijian: --workers > 1 in sandbox mode needs a separate sandbox process "
              "(python -m app sandbox --port 8001) named in YIJIAN_WECHAT_BASE_URL", file=sys.stderr)
        raise SystemExit(2)
    asyncio.run(db.migrate(settings.database_url))
    if settings.embedded:
        from app.catalog.demo import seed_demo_once

        asyncio.run(_with_database(settings, seed_demo_once))
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=args.workers, single_process=args.workers == 1,
                access_log=False, motd=False)
    if args.workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


def _migrate(args: argparse.Namespace) -> None:
    from app.core import db

    settings = _settings()
    asyncio.run(db.migrate(settings.database_url))
    print("migrations applied")


async def _with_database(settings: Settings, work):
    """Run `work(redis)` with the database open (and migrated) and a Redis client, then close both."""
    from app.core import cache, db

    await db.migrate(settings.database_url)
    await db.init_db(settings.database_url)
    redis = cache.connect(settings.redis_url)
    try:
        return await work(redis)
    finally:
        await redis.aclose()
        await db.close_db()


def _create_operator(args: argparse.Namespace) -> None:
    from app.core.errors import AppError
    from app.operators.service import create_operator

    async def work(redis):
        return await create_operator(args.username, args.password, args.role)

    try:
        operator = asyncio.run(_with_database(_settings(), work))
    except AppError as exc:
        problems = "; ".join(f"{f['field']} {f['reason']}" for f in exc.details.get("fields", []))
        print(f"yijian: {problems or exc.message}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"operator {operator.username} ({operator.role}) created: {operator.id}")


def _seed_demo(args: argparse.Namespace) -> None:
    from app.catalog.demo import seed_demo

    products, promotions = asyncio.run(_with_database(_settings(), seed_demo))
    print(f"demo seeded: {products} products and {promotions} promotions created")


def _sandbox(args: argparse.Namespace) -> None:
    from sanic import Sanic

    from app.core import logs
    from app.sandbox import create_sandbox_app

    settings = _settings()
    _warn_if_sandbox_is_reachable(args.host, True)
    logs.configure(settings.log_level)
    app = create_sandbox_app(settings.data_dir, settings.sandbox_time_factor)
    app.prepare(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)
    Sanic.serve_single(primary=app)


def _worker(args: argparse.Namespace) -> None:
    from app.core import db, logs
    from app.jobs.config import load_jobs_config
    from app.background import run_worker

    settings = _settings()
    try:
        config = load_jobs_config()
    except SettingsError as exc:
        print(f"yijian: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if settings.redis_url is None or settings.database_url.startswith("sqlite"):
        print("yijian: worker needs YIJIAN_DATABASE_URL=postgres://... and YIJIAN_REDIS_URL=redis://... shared with "
              "the servers (the embedded default runs its jobs inside serve)", file=sys.stderr)
        raise SystemExit(2)
    if settings.sandbox and settings.wechat_base_url is None:
        print("yijian: worker in sandbox mode needs YIJIAN_WECHAT_BASE_URL (the separate sandbox process)",
              file=sys.stderr)
        raise SystemExit(2)
    logs.configure(settings.log_level)
    asyncio.run(db.migrate(settings.database_url))
    asyncio.run(run_worker(settings, config))


def _rebuild_recommendations(args: argparse.Namespace) -> None:
    from app.recommendations.rebuild import rebuild

    async def work(redis):
        return await rebuild(args.user or None)

    report = asyncio.run(_with_database(_settings(), work))
    print(f"recommendations rebuilt: {report.users} users, {report.paid_orders} paid orders")


def _reconcile(args: argparse.Namespace) -> None:
    from app.core import logs
    from app.reconciliation import command

    settings = command.sandbox_reachable(_settings())
    try:
        day = command.parse_day(args.date)
    except command.CommandError as exc:
        print(f"yijian: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logs.configure(settings.log_level)
    raise SystemExit(asyncio.run(command.run(settings, day)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="yijian", description="一键 — one-tap checkout for WeChat mini-programs")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate if needed, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    commands.add_parser("worker", help="run the background jobs alone (with YIJIAN_JOBS=external on the servers)"
                        ).set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply schema migrations").set_defaults(run=_migrate)

    operator = commands.add_parser("create-operator", help="create a console operator")
    operator.add_argument("--username", required=True)
    operator.add_argument("--password", required=True)
    operator.add_argument("--role", choices=ROLES, default=OPERATOR)
    operator.set_defaults(run=_create_operator)

    commands.add_parser("seed-demo", help="the demo catalog and promotions (idempotent)").set_defaults(run=_seed_demo)

    sandbox = commands.add_parser("sandbox", help="the WeChat sandbox alone, as its own process")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8001)
    sandbox.set_defaults(run=_sandbox)

    rebuild = commands.add_parser("rebuild-recommendations",
                                  help="rebuild the recommendation aggregates from the order history")
    rebuild.add_argument("--user", action="append", help="only this user id (repeatable)")
    rebuild.set_defaults(run=_rebuild_recommendations)

    reconcile = commands.add_parser("reconcile", help="reconcile one day against WeChat Pay's trade bill, now")
    reconcile.add_argument("--date", required=True, help="YYYY-MM-DD (Asia/Shanghai), today or yesterday")
    reconcile.set_defaults(run=_reconcile)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()

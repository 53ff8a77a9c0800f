"""The benchmark's baseline: the least a one-tap order can cost on this stack.

One Sanic route, `POST /order`, that does one Redis round trip and one database transaction (Tortoise ORM on
asyncpg, the product's own stack and pool size) with the same inserts as a one-tap order: an `orders` row, an
`order_transitions` row, an `order_promotions` row and an `idempotency_records` row (the tables mirror
app/orders/models.py and app/checkout/models.py, with the same unique constraints, indexes and foreign keys,
column for column but for those NOT_MIRRORED names). No authentication, no validation beyond reading the body, no
pricing: whatever the real one-tap spends beyond this is the product's own work.

Configuration comes from the environment (so Sanic's worker processes see it too):
  BENCH_BASELINE_DATABASE_URL  postgres://postgres@127.0.0.1:5432/<fresh database>
  BENCH_BASELINE_REDIS_URL     redis://127.0.0.1:6379/9
  BENCH_BASELINE_USERS         how many users `u0`..`u{N-1}` to create (default 64)

Run: python scripts/bench/baseline_app.py --port 8100 --workers 2
(scripts/bench_checkout.py starts it for you, in its own database.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from datetime import datetime, timedelta, timezone
from functools import partial

import orjson
from redis.asyncio import Redis
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from tortoise import Tortoise, fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction


# The product's columns each table here leaves out, and why; tests/test_bench_baseline.py fails when a product
# table gains or loses a column that neither the model below nor this list names.
NOT_MIRRORED = {
    # The jobs' schedule (set after the insert, null or 0 in it) and the WeChat Pay API of a prepay (null for a
    # wallet order): a null or default column adds next to nothing to an insert.
    "orders": ("provider_api", "next_query_at", "query_attempts"),
    "order_transitions": (),
    "order_promotions": (),
    "idempotency_records": (),
}


class BenchUser(Model):
    id = fields.CharField(primary_key=True, max_length=40)

    class Meta:
        table = "users"


class Order(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.BenchUser", related_name="orders", on_delete=fields.RESTRICT)
    out_trade_no = fields.CharField(max_length=32, unique=True)
    status = fields.CharField(max_length=20, db_index=True)
    lines = fields.JSONField()
    items_total_fen = fields.BigIntField()
    discounts = fields.JSONField()
    discount_fen = fields.BigIntField()
    payable_fen = fields.BigIntField()
    payment_method = fields.CharField(max_length=16)
    provider = fields.CharField(max_length=16)
    address = fields.JSONField(null=True)
    invoice = fields.JSONField(null=True)
    prepay_id = fields.CharField(max_length=64, null=True)
    transaction_id = fields.CharField(max_length=64, null=True, unique=True)
    refunded_fen = fields.BigIntField(default=0)
    listed = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    close_cause = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "orders"
        indexes = (("user_id", "id"), ("status", "expires_at"))


class OrderTransition(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="transitions", on_delete=fields.CASCADE)
    from_status = fields.CharField(max_length=20, null=True)
    to_status = fields.CharField(max_length=20)
    cause = fields.CharField(max_length=32)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_transitions"
        indexes = (("order_id", "id"),)


class OrderPromotion(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="promotions", on_delete=fields.CASCADE)
    user_id = fields.CharField(max_length=40)
    promotion_id = fields.CharField(max_length=40)
    amount_fen = fields.BigIntField()
    budget_charged_fen = fields.BigIntField(default=0)  # written by the product's insert too (0 without a budget)

    class Meta:
        table = "order_promotions"
        indexes = (("user_id", "promotion_id"),)


class IdempotencyRecord(Model):
    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=40)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    state = fields.CharField(max_length=12)
    response_status = fields.IntField(null=True)
    response_body = fields.JSONField(null=True)
    order_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_records"
        unique_together = (("user_id", "key"),)


def tortoise_config(database_url: str) -> dict:
    # The same pool the product uses (app/core/db.py: minsize=1, maxsize=20 per worker).
    sep = "&" if "?" in database_url else "?"
    return {
        "connections": {"default": f"{database_url}{sep}minsize=1&maxsize=20"},
        "apps": {"models": {"models": [__name__], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def prepare_database(database_url: str, users: int) -> None:
    """Create the tables and the users once, in the main process, before any worker starts."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await Tortoise.generate_schemas(safe=True)
        existing = set(await BenchUser.all().values_list("id", flat=True))
        await BenchUser.bulk_create([BenchUser(id=f"u{i}") for i in range(users) if f"u{i}" not in existing])
    finally:
        await Tortoise.close_connections()


def _json(body: dict, status: int = 200) -> HTTPResponse:
    return HTTPResponse(orjson.dumps(body), status=status, content_type="application/json")


def create_app(database_url: str, redis_url: str) -> Sanic:
    app = Sanic("yijian_bench_baseline", configure_logging=False)
    app.config.update(FALLBACK_ERROR_FORMAT="json")

    @app.before_server_start
    async def _start(app: Sanic) -> None:
        await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
        app.ctx.redis = Redis.from_url(redis_url)

    @app.after_server_stop
    async def _stop(app: Sanic) -> None:
        await app.ctx.redis.aclose()
        await Tortoise.close_connections()

    @app.get("/readyz")
    async def readyz(request: Request):
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        await request.app.ctx.redis.ping()
        return _json({"status": "ready"})

    @app.post("/order")
    async def order(request: Request):
        body = orjson.loads(request.body or b"{}")
        user_id = body["user_id"]
        key = request.headers.get("idempotency-key") or secrets.token_hex(16)
        lines = body.get("items") or [{"product_id": "p1", "quantity": 1}]
        # One Redis round trip (the product's one-tap touches Redis too: rate counters, locks, caches).
        await request.app.ctx.redis.incr(f"bench:baseline:orders:{user_id}")
        now = datetime.now(timezone.utc)
        order_id = f"ord_{secrets.token_hex(12)}"
        lines = [{"product_id": line["product_id"], "name": "bench", "unit_price_fen": 2800,
                  "quantity": line.get("quantity", 1)} for line in lines]
        total = sum(line["unit_price_fen"] * line["quantity"] for line in lines)
        discounts = [{"promotion_id": "prm_bench", "name": "满50减10", "amount_fen": 1000, "reason": "满50减10"}]
        try:
            created = await _insert_order(user_id, key, order_id, lines, total, discounts, now)
        except IntegrityError:  # the same Idempotency-Key twice: the bench always sends fresh ones
            return _json({"error": {"code": "IDEMPOTENCY_KEY_REUSED"}}, status=409)
        return _json({"order": {"id": created.id, "status": created.status, "payable_fen": created.payable_fen,
                                "lines": lines, "discounts": discounts},
                      "payment": {"method": "wallet", "status": "PAID"}}, status=201)

    return app


async def _insert_order(user_id: str, key: str, order_id: str, lines: list, total: int, discounts: list,
                        now: datetime) -> Order:
    """One transaction, the four inserts of a one-tap order."""
    async with in_transaction() as connection:
        await IdempotencyRecord.create(user_id=user_id, key=key, request_hash="0" * 64, state="done",
                                       response_status=201, response_body={"order_id": order_id},
                                       order_id=order_id, using_db=connection)
        created = await Order.create(
            id=order_id, user_id=user_id, out_trade_no=secrets.token_hex(16), status="PAID", lines=lines,
            items_total_fen=total, discounts=discounts, discount_fen=1000, payable_fen=max(total - 1000, 1),
            payment_method="wallet", provider="wallet",
            address={"name": "张三", "phone": "13800138000", "city": "广州市", "detail": "体育西路1号"},
            invoice=None, expires_at=now + timedelta(minutes=15), paid_at=now, using_db=connection)
        await OrderTransition.create(order_id=order_id, from_status=None, to_status="PAID", cause="one_tap",
                                     using_db=connection)
        await OrderPromotion.create(order_id=order_id, user_id=user_id, promotion_id="prm_bench",
                                    amount_fen=1000, using_db=connection)
    return created


def _factory() -> Sanic:
    return create_app(os.environ["BENCH_BASELINE_DATABASE_URL"], os.environ["BENCH_BASELINE_REDIS_URL"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the bench baseline app: one Redis round trip + one transaction")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if "BENCH_BASELINE_DATABASE_URL" not in os.environ or "BENCH_BASELINE_REDIS_URL" not in os.environ:
        print("baseline_app: set BENCH_BASELINE_DATABASE_URL and BENCH_BASELINE_REDIS_URL", file=sys.stderr)
        raise SystemExit(2)

    from sanic.worker.loader import AppLoader

    asyncio.run(prepare_database(os.environ["BENCH_BASELINE_DATABASE_URL"],
                                 int(os.environ.get("BENCH_BASELINE_USERS", "64"))))
    loader = AppLoader(factory=partial(_factory))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=args.workers, single_process=args.workers == 1,
                access_log=False, motd=False)
    if args.workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

"""The benchmark's baselines: the least a quote and a one-tap order can cost on this stack.

Two Sanic routes, the floors the checkout scenarios are compared with (issue 14):

- `POST /quote`: what a quote cannot avoid, and nothing else: the JWT checked (PyJWT, the product's algorithm and
  claims), the JSON body parsed, the cart priced in memory by the product's own pricing engine (app/pricing, the
  bench's three promotions) and the answer written as JSON. No network: no Redis, no database.
- `POST /order`: one Redis round trip and one database transaction (Tortoise ORM on asyncpg, the product's own
  stack and pool size) with what a wallet order cannot avoid: the stock of each line taken, the wallet debited
  (`UPDATE … RETURNING`), the `orders` row, its `order_transitions` row (the order's line of states) and the
  `wallet_ledger` entry. The tables mirror the product's (app/orders/models.py, app/catalog/models.py,
  app/wallet/models.py), with the same unique constraints, indexes and foreign keys, column for column but for
  those NOT_MIRRORED names. No authentication, no validation beyond reading the body, no pricing.

Whatever the real quote and one-tap spend beyond these is the product's own work.

Configuration comes from the environment (so Sanic's worker processes see it too):
  BENCH_BASELINE_DATABASE_URL  postgres://postgres@127.0.0.1:5432/<fresh database>
  BENCH_BASELINE_REDIS_URL     redis://127.0.0.1:6379/9
  BENCH_BASELINE_USERS         how many users `u0`..`u{N-1}` to create (default 64)
  BENCH_BASELINE_JWT_SECRET    the secret the bench signs the quote's tokens with

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
from pathlib import Path

import jwt
import orjson
from redis.asyncio import Redis
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the product's pricing engine, imported as is
from app.pricing import CartLine, PricingContext, PromotionRule, price  # noqa: E402

# The product's columns each table here leaves out, and why; tests/test_bench_baseline.py fails when a product
# table gains or loses a column that neither the model below nor this list names.
NOT_MIRRORED = {
    # The jobs' schedule (set after the insert, null or 0 in it) and the WeChat Pay API of a prepay (null for a
    # wallet order): a null or default column adds next to nothing to an insert.
    "orders": ("provider_api", "next_query_at", "query_attempts"),
    "order_transitions": (),
    "products": (),
    # The PIN's state: a PIN-free payment neither reads nor writes it.
    "wallets": ("pin_hash", "pin_free_limit_fen", "pin_failures", "pin_checks", "pin_checks_until", "locked_until"),
    "wallet_ledger": (),
}
JWT_ISSUER, JWT_AUDIENCE = "yijian", "yijian-app"
STOCK, BALANCE = 2_000_000_000, 10 ** 12  # stock is an INTEGER column


class BenchUser(Model):
    id = fields.CharField(primary_key=True, max_length=40)

    class Meta:
        table = "users"


class Product(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    price_fen = fields.BigIntField()
    stock = fields.IntField(default=0)
    category = fields.CharField(max_length=64)
    on_sale = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "products"
        indexes = (("on_sale", "category", "id"),)


class Wallet(Model):
    user = fields.OneToOneField("models.BenchUser", related_name="wallet", primary_key=True,
                                on_delete=fields.CASCADE)
    balance_fen = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wallets"


class LedgerEntry(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.BenchUser", related_name="ledger", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    amount_fen = fields.BigIntField()
    balance_after_fen = fields.BigIntField()
    reason = fields.CharField(max_length=200, default="")
    order_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wallet_ledger"
        indexes = (("user_id", "id"),)


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



def tortoise_config(database_url: str) -> dict:
    # The same pool the product uses (app/core/db.py: minsize=1, maxsize=20 per worker).
    sep = "&" if "?" in database_url else "?"
    return {
        "connections": {"default": f"{database_url}{sep}minsize=1&maxsize=20"},
        "apps": {"models": {"models": [__name__], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def prepare_database(database_url: str, users: int, catalog: list) -> None:
    """Create the tables, the users with a wallet and the products once, in the main process, before any worker
    starts. Stock and balances are large enough never to run out."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await Tortoise.generate_schemas(safe=True)
        existing = set(await BenchUser.all().values_list("id", flat=True))
        fresh = [f"u{i}" for i in range(users) if f"u{i}" not in existing]
        await BenchUser.bulk_create([BenchUser(id=user_id) for user_id in fresh])
        await Wallet.bulk_create([Wallet(user_id=user_id, balance_fen=BALANCE) for user_id in fresh])
        if not await Product.exists():
            await Product.bulk_create([Product(id=f"p{i}", sku=f"BENCH-{i}", name=f"压测商品{i}", price_fen=price_fen,
                                               stock=STOCK, category=category)
                                       for i, (price_fen, category) in enumerate(catalog)])
    finally:
        await Tortoise.close_connections()


def _json(body: dict, status: int = 200) -> HTTPResponse:
    return HTTPResponse(orjson.dumps(body), status=status, content_type="application/json")


def rules_of(promotions: list[dict]) -> tuple[PromotionRule, ...]:
    """The bench's promotions (the admin API's JSON) as the pricing engine's rules, held in memory."""
    epoch = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return tuple(PromotionRule(
        id=f"prm_{i}", name=p["name"], kind=p["kind"], amount_off_fen=p.get("amount_off_fen"),
        percent_off=p.get("percent_off"), threshold_fen=p.get("threshold_fen"), priority=p.get("priority", 0),
        stackable=p.get("stackable", False), created_at=epoch, per_user_limit=p.get("per_user_limit"),
        budget_remaining_fen=None, payment_methods=tuple(p.get("conditions", {}).get("payment_method") or ()),
        categories=tuple(p.get("conditions", {}).get("categories") or ()),
        cities=tuple(p.get("conditions", {}).get("cities") or ())) for i, p in enumerate(promotions))


def create_app(database_url: str, redis_url: str, jwt_secret: str, catalog: list, promotions: list) -> Sanic:
    app = Sanic("yijian_bench_baseline", configure_logging=False)
    app.config.update(FALLBACK_ERROR_FORMAT="json")
    products = {f"p{i}": (f"压测商品{i}", category, price_fen) for i, (price_fen, category) in enumerate(catalog)}
    rules = rules_of(promotions)

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

    @app.post("/quote")
    async def quote(request: Request):
        """JWT, JSON in, pricing in memory, JSON out: no network."""
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, jwt_secret, algorithms=["HS256"], audience=JWT_AUDIENCE, issuer=JWT_ISSUER,
                                options={"require": ["exp", "iat", "iss", "aud", "jti", "sub"]}, leeway=5)
        except jwt.PyJWTError:
            return _json({"error": {"code": "AUTH_TOKEN_INVALID"}}, status=401)
        body = orjson.loads(request.body or b"{}")
        lines = []
        for item in body["items"]:
            name, category, price_fen = products[item["product_id"]]
            lines.append(CartLine(product_id=item["product_id"], name=name, category=category,
                                  unit_price_fen=price_fen, quantity=int(item["quantity"])))
        method = body.get("payment_method") or "wechatpay"
        context = PricingContext(now=datetime.now(timezone.utc), payment_method=method, city="广州市",
                                 is_new_user=False, uses_by_promotion={})
        priced = price(lines, rules, context)
        return _json({"user_id": claims["sub"], "lines": [line.to_dict() for line in priced.lines],
                      "items_total_fen": priced.items_total_fen,
                      "discounts": [{"promotion_id": d.promotion_id, "name": d.name, "amount_fen": d.amount_fen,
                                     "reason": d.reason} for d in priced.discounts],
                      "payable_fen": priced.payable_fen, "payment_method": method})

    @app.post("/order")
    async def order(request: Request):
        body = orjson.loads(request.body or b"{}")
        user_id = body["user_id"]
        items = body.get("items") or [{"product_id": "p1", "quantity": 1}]
        # One Redis round trip (the product's one-tap touches Redis too: rate counters, locks, caches).
        await request.app.ctx.redis.incr(f"bench:baseline:orders:{user_id}")
        now = datetime.now(timezone.utc)
        lines = [{"product_id": item["product_id"], "name": products[item["product_id"]][0],
                  "unit_price_fen": products[item["product_id"]][2], "quantity": item.get("quantity", 1)}
                 for item in items]
        total = sum(line["unit_price_fen"] * line["quantity"] for line in lines)
        discounts = [{"promotion_id": "prm_0", "name": "满50减10", "amount_fen": 1000, "reason": "满50减10"}]
        created = await _insert_order(user_id, f"ord_{secrets.token_hex(12)}", lines, total, discounts, now)
        if created is None:
            return _json({"error": {"code": "OUT_OF_STOCK"}}, status=409)
        return _json({"order": {"id": created.id, "status": created.status, "payable_fen": created.payable_fen,
                                "lines": lines, "discounts": discounts},
                      "payment": {"method": "wallet", "status": "PAID"}}, status=201)

    return app


class _Short(Exception):
    pass


async def _insert_order(user_id: str, order_id: str, lines: list, total: int, discounts: list,
                        now: datetime) -> Order | None:
    """One transaction: the stock of each line, the wallet's debit, the order, its transition, the ledger entry."""
    payable = max(total - 1000, 1)
    try:
        async with in_transaction() as connection:
            for line in sorted(lines, key=lambda line: line["product_id"]):  # in id order: no deadlock
                taken = await connection.execute_query(
                    "UPDATE products SET stock = stock - $1, updated_at = $2 WHERE id = $3 AND stock >= $1",
                    [line["quantity"], now, line["product_id"]])
                if not taken[0]:
                    raise _Short()
            # execute_query_dict: Tortoise's asyncpg execute_query drops the rows of an UPDATE … RETURNING
            rows = await connection.execute_query_dict(
                "UPDATE wallets SET balance_fen = balance_fen - $1, updated_at = $2 "
                "WHERE user_id = $3 AND balance_fen >= $1 RETURNING balance_fen", [payable, now, user_id])
            if not rows:
                raise _Short()
            created = await Order.create(
                id=order_id, user_id=user_id, out_trade_no=secrets.token_hex(16), status="PAID", lines=lines,
                items_total_fen=total, discounts=discounts, discount_fen=total - payable, payable_fen=payable,
                payment_method="wallet", provider="wallet",
                address={"name": "张三", "phone": "13800138000", "city": "广州市", "detail": "体育西路1号"},
                invoice=None, expires_at=now + timedelta(minutes=15), paid_at=now, using_db=connection)
            await OrderTransition.create(order_id=order_id, from_status=None, to_status="PAID", cause="one_tap",
                                         using_db=connection)
            await LedgerEntry.create(id=f"led_{secrets.token_hex(12)}", user_id=user_id, kind="payment",
                                     amount_fen=-payable, balance_after_fen=rows[0]["balance_fen"],
                                     order_id=order_id, using_db=connection)
    except _Short:
        return None
    return created


def _catalog() -> tuple[list, list]:
    """The bench's products [(price_fen, category)] and promotions (admin JSON), passed in BENCH_BASELINE_CATALOG."""
    data = orjson.loads(os.environ.get("BENCH_BASELINE_CATALOG") or b'{"products": [], "promotions": []}')
    return data["products"], data["promotions"]


def _factory() -> Sanic:
    return create_app(os.environ["BENCH_BASELINE_DATABASE_URL"], os.environ["BENCH_BASELINE_REDIS_URL"],
                      os.environ.get("BENCH_BASELINE_JWT_SECRET", ""), *_catalog())


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
                                 int(os.environ.get("BENCH_BASELINE_USERS", "64")), _catalog()[0]))
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

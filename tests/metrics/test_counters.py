"""/metrics after real traffic on the session's server: each counter moves by exactly what the test did (§6.3).

The server is shared and its counters are the whole session's, so every check is a difference between a
scrape before and one after, on series that nothing running in the background touches.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.jobs import runner
from app.jobs.models import OutboxEvent
from app.orders.models import Order
from app.promotions.cache import PromotionCache
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error
from tests.jobs.helpers import now, wait_until
from tests.metrics.helpers import ROOT, scrape
from tests.notify.helpers import faults, notify, sandbox_keys, seal, sign, transaction, wechat_order

QUOTE = "/api/v1/checkout/quote"
ONE_TAP = "/api/v1/checkout/one-tap"


def _delta(before, after, name, **labels) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


async def test_a_quote_counts_one_request_one_latency_and_one_promotion_lookup(client):
    tea = await product(client, price_fen=1200)
    who = await shopper(client)
    before = await scrape(client)
    response = await client.post(QUOTE, json={"items": items((tea, 2))}, headers=who["headers"])
    assert response.status_code == 200, response.text
    after = await scrape(client)
    assert _delta(before, after, "yijian_http_requests_total", method="POST", route=QUOTE, status="200") == 1
    assert _delta(before, after, "yijian_http_request_duration_seconds_count", method="POST", route=QUOTE) == 1
    assert _delta(before, after, "yijian_http_request_duration_seconds_bucket", method="POST", route=QUOTE,
                  le="+Inf") == 1
    assert _delta(before, after, "yijian_promotion_cache_lookups_total") == 1  # a hit or a miss, one lookup


async def test_one_taps_are_counted_by_method_and_how_their_payment_step_ended(client):
    tea = await product(client, price_fen=1500, stock=50)
    rich = await shopper(client, balance_fen=10000, pin=PIN, pin_free_limit_fen=2000)
    poor = await shopper(client, balance_fen=100, pin=PIN, pin_free_limit_fen=2000)
    guarded = await shopper(client, balance_fen=10000, pin=PIN)  # every payment needs the PIN
    plain = await shopper(client)
    wallet = {"items": items((tea, 1)), "payment_method": "wallet"}
    before = await scrape(client)

    key = uuid.uuid4().hex
    assert (await one_tap(client, rich, wallet, key)).status_code == 201
    assert (await one_tap(client, rich, wallet, key)).status_code == 201  # a replay is not a second payment
    assert_error(await one_tap(client, poor, wallet), 402, "PAYMENT_INSUFFICIENT_BALANCE")
    assert_error(await one_tap(client, guarded, {**wallet, "wallet_pin": "111999"}), 403, "WALLET_PIN_WRONG")
    assert_error(await one_tap(client, guarded, wallet), 403, "WALLET_PIN_REQUIRED")
    assert (await one_tap(client, plain, {"items": items((tea, 1)), "payment_method": "wechatpay"})).status_code == 201
    async with faults(client, {"kind": "api_error", "rate": 1.0, "apis": ["jsapi"]}):
        assert_error(await one_tap(client, plain, {"items": items((tea, 1)), "payment_method": "wechatpay"}),
                     503, "PAYMENT_PROVIDER_UNAVAILABLE")
    # Refused before its payment step: no payment at all.
    assert_error(await one_tap(client, plain, {"items": items((tea, 51)), "payment_method": "wechatpay"}),
                 409, "OUT_OF_STOCK")

    after = await scrape(client)
    expected = {("wallet", "paid"): 1, ("wallet", "insufficient_balance"): 1, ("wallet", "pin_wrong"): 1,
                ("wallet", "pin_required"): 1, ("wechatpay", "prepay_created"): 1,
                ("wechatpay", "provider_unavailable"): 1}
    outcomes = after.labels("yijian_payments_total", "outcome") | before.labels("yijian_payments_total", "outcome")
    moved = {(method, outcome): _delta(before, after, "yijian_payments_total", method=method, outcome=outcome)
             for method in ("wallet", "wechatpay") for outcome in outcomes}
    assert {k: v for k, v in moved.items() if v} == expected
    assert _delta(before, after, "yijian_http_requests_total", method="POST", route=ONE_TAP, status="201") == 3
    assert _delta(before, after, "yijian_http_requests_total", method="POST", route=ONE_TAP, status="403") == 2


async def test_a_forged_notification_is_counted_under_its_verdict(client):
    made = await wechat_order(client)
    keys = await sandbox_keys(client)
    body = seal(keys, transaction(keys, made["order"]))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    before = await scrape(client)
    assert (await notify(client, body, sign(keys, body, private_key_pem=forger))).status_code == 401
    after = await scrape(client)
    assert _delta(before, after, "yijian_notifications_total", api="wechatpay_v3", verdict="rejected_signature") == 1


async def test_requests_are_labelled_by_route_template_never_by_their_path(client):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    stray = f"ord_{uuid.uuid4().hex}"
    before = await scrape(client)
    assert (await client.get(f"/api/v1/orders/{order_id}", headers=made["who"]["headers"])).status_code == 200
    assert_error(await client.get(f"/no/such/page/{stray}"), 404, "NOT_FOUND")
    response = await client.get("/metrics")
    after = await scrape(client)
    assert _delta(before, after, "yijian_http_requests_total", method="GET", route="/api/v1/orders/<order_id>",
                  status="200") == 1
    assert _delta(before, after, "yijian_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert order_id not in response.text and stray not in response.text


async def test_a_fresh_promotion_cache_counts_a_miss_then_a_hit(client, server):
    cache = PromotionCache(server.app.ctx.deps.redis)
    before = await scrape(client)
    await cache.rules()
    middle = await scrape(client)
    await cache.rules()
    after = await scrape(client)
    assert _delta(before, middle, "yijian_promotion_cache_lookups_total", result="miss") == 1
    assert _delta(before, middle, "yijian_promotion_cache_lookups_total", result="hit") == 0
    assert _delta(middle, after, "yijian_promotion_cache_lookups_total", result="hit") == 1
    assert _delta(middle, after, "yijian_promotion_cache_lookups_total", result="miss") == 0


async def test_job_gauges_show_due_work_while_no_job_runs_and_clear_once_jobs_run(client, server):
    await runner.stop(server.app)
    try:
        waiting = await wechat_order(client)
        await Order.filter(id=waiting["order"]["id"]).update(next_query_at=now() - timedelta(seconds=300))
        paid = await wechat_order(client)
        keys = await sandbox_keys(client)
        body = seal(keys, transaction(keys, paid["order"]))
        assert (await notify(client, body, sign(keys, body))).status_code == 204  # writes an order.paid event
        event = await OutboxEvent.filter(kind="order.paid").order_by("-id").first()
        assert event.payload["order_id"] == paid["order"]["id"] and event.done_at is None
        event_age_s = (now() - event.created_at).total_seconds()
        stalled = await scrape(client)
        assert stalled.value("yijian_jobs_lag_seconds", queue="orders") >= 300
        assert stalled.value("yijian_jobs_lag_seconds", queue="outbox") >= event_age_s
        assert stalled.value("yijian_outbox_pending") >= 1
    finally:
        await runner.start(server.app)

    async def caught_up():
        order = await Order.get(id=waiting["order"]["id"])
        done = (await OutboxEvent.get(id=event.id)).done_at is not None
        return done and (order.next_query_at is None or order.next_query_at > now())

    await wait_until(caught_up, timeout_s=20)
    assert (await scrape(client)).value("yijian_jobs_lag_seconds", queue="orders") < 300


async def test_every_metric_in_the_readme_is_exposed_and_every_exposed_one_is_in_the_readme(client):
    readme = Path(ROOT, "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(yijian_[a-z_]+)`", readme, flags=re.MULTILINE))
    text = (await client.get("/metrics")).text
    exposed = set(re.findall(r"^# TYPE (yijian_[a-z_]+) ", text, flags=re.MULTILINE))
    assert documented and documented == exposed

"""The signals: `payment.failed` written where payments fail, each event applied once, and the backfill giving the
same aggregates as the outbox consumers (DESIGN §3 "Signals")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime

from app.jobs.models import OutboxEvent
from app.orders.models import Order
from app.recommendations import signals
from app.recommendations.rebuild import rebuild
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error
from tests.jobs.helpers import make_due, sandbox_fault, wait_until
from tests.recommendations.helpers import (
    aggregates_of, applied, failure_applied, paid_with_wallet, paid_with_wechat,
)


async def _last_event_id() -> int:
    last = await OutboxEvent.all().order_by("-id").first()
    return last.id if last else 0


async def _events_since(marker: int, kind: str, user_id: str) -> list[dict]:
    return [event.payload for event in await OutboxEvent.filter(id__gt=marker, kind=kind).order_by("id")
            if event.payload.get("user_id") == user_id]


async def _user_events_done(user_id: str) -> bool:
    from app.jobs import outbox

    await outbox.process_pending()
    pending = await OutboxEvent.filter(done_at=None, kind__in=["order.paid", "payment.failed"])
    return not [event for event in pending if event.payload.get("user_id") == user_id]


async def test_payment_failed_is_written_once_where_a_payment_fails(client):
    tea = await product(client, price_fen=1500, stock=50)
    who = await shopper(client, balance_fen=1000, pin=PIN)
    marker = await _last_event_id()
    body = {"items": items((tea, 1)), "payment_method": "wallet"}
    assert_error(await one_tap(client, who, body), 403, "WALLET_PIN_REQUIRED")  # a prompt, not a failure
    assert_error(await one_tap(client, who, {**body, "wallet_pin": "369258"}), 403, "WALLET_PIN_WRONG")
    assert_error(await one_tap(client, who, {**body, "wallet_pin": PIN}), 402, "PAYMENT_INSUFFICIENT_BALANCE")
    async with sandbox_fault(client, "api_error", 1.0, ["jsapi"]):
        assert_error(await one_tap(client, who, {"items": items((tea, 1))}), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
    cancelled = (await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})).json()
    assert (await client.post(f"/api/v1/orders/{cancelled['order']['id']}/cancel",
                              headers=who["headers"])).status_code == 200
    expired = (await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})).json()
    await make_due(expired["order"]["id"], expired=True)  # the session's engine sweeps every second
    await wait_until(lambda: Order.filter(id=expired["order"]["id"], status="CLOSED").exists())

    events = await _events_since(marker, "payment.failed", who["user_id"])
    provider_failed = await Order.get(user_id=who["user_id"], close_cause="provider_failed")
    assert [(e["payment_method"], e["reason"], e["order_id"]) for e in events] == [
        ("wallet", "WALLET_PIN_WRONG", None),
        ("wallet", "PAYMENT_INSUFFICIENT_BALANCE", None),
        ("wechatpay", "PAYMENT_PROVIDER_UNAVAILABLE", provider_failed.id),
        ("wechatpay", "CANCELLED", cancelled["order"]["id"]),
        ("wechatpay", "EXPIRED_UNPAID", expired["order"]["id"]),
    ]
    for event in events:
        assert set(event) == {"user_id", "payment_method", "reason", "order_id", "at", "event_id"}
        assert datetime.fromisoformat(event["at"]).utcoffset().total_seconds() == 0
    closed = await Order.get(id=expired["order"]["id"])
    assert datetime.fromisoformat(events[-1]["at"]) == closed.closed_at
    await failure_applied(who["user_id"], "wechatpay", "EXPIRED_UNPAID")


async def test_a_wallet_one_tap_writes_order_paid_in_its_own_transaction(client):
    tea = await product(client, price_fen=1500, stock=50)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    marker = await _last_event_id()
    order = await paid_with_wallet(client, who, [(tea, 2)])
    [event] = await _events_since(marker, "order.paid", who["user_id"])
    assert {k: v for k, v in event.items() if k not in ("event_id", "at")} == {
        "order_id": order["id"], "user_id": who["user_id"], "out_trade_no": order["out_trade_no"],
        "transaction_id": None, "amount_fen": 3000, "payment_method": "wallet", "cause": "one_tap_wallet"}
    assert datetime.fromisoformat(event["at"]) >= datetime.fromisoformat(order["created_at"])  # when it became PAID


async def test_replaying_an_order_paid_event_changes_nothing(client):
    tea = await product(client, price_fen=1500, stock=50)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    marker = await _last_event_id()
    order = await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 1)
    before = await aggregates_of(who["user_id"])
    [event] = [e for e in await OutboxEvent.filter(id__gt=marker, kind="order.paid") if
               e.payload["order_id"] == order["id"]]

    await asyncio.gather(*(signals.on_order_paid(event.payload) for _ in range(10)))  # a job run again, at once
    await OutboxEvent.filter(id=event.id).update(done_at=None, attempts=0, claimed_until=None)  # the outbox again
    await wait_until(lambda: OutboxEvent.filter(id=event.id).exclude(done_at=None).exists())
    await signals.on_order_paid({**event.payload, "event_id": "evt_another"})  # the same order in another event
    assert await aggregates_of(who["user_id"]) == before
    assert before["user"]["paid_orders"] == 1


async def _history(client) -> dict:
    """Paid orders with both methods, categories and failures of each kind, made through the API."""
    coffee = await product(client, price_fen=1200, stock=50)
    tea = await product(client, price_fen=800, stock=50, category=coffee["category"])
    cake = await product(client, price_fen=2500, stock=50)
    who = await shopper(client, balance_fen=8000, pin=PIN, pin_free_limit_fen=3000)
    await paid_with_wallet(client, who, [(coffee, 1), (tea, 2)])
    await paid_with_wechat(client, who, [(coffee, 1), (cake, 1)])
    await paid_with_wallet(client, who, [(coffee, 2)])
    await paid_with_wechat(client, who, [(cake, 2)])
    wrong = {"items": items((cake, 2)), "payment_method": "wallet", "wallet_pin": "369258"}
    assert_error(await one_tap(client, who, wrong), 403, "WALLET_PIN_WRONG")
    created = (await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})).json()
    await client.post(f"/api/v1/orders/{created['order']['id']}/cancel", headers=who["headers"])
    await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 5)
    await wait_until(lambda: _user_events_done(who["user_id"]))
    return who


async def test_the_backfill_rebuilds_the_same_aggregates_as_the_consumers(client):
    who = await _history(client)
    incremental = await aggregates_of(who["user_id"])
    assert incremental["user"]["paid_orders"] == 5
    assert {(m["method"], m["paid_count"], m["last_failure_code"]) for m in incremental["methods"]} == {
        ("wallet", 3, "WALLET_PIN_WRONG"), ("wechatpay", 2, "CANCELLED")}

    report = await rebuild([who["user_id"]])
    assert (report.users, report.paid_orders) == (1, 5)
    assert await aggregates_of(who["user_id"]) == incremental

    # A paid order's event still pending when the backfill counted the order is not counted again.
    [event] = [e for e in await OutboxEvent.filter(kind="order.paid").order_by("-id").limit(50)
               if e.payload["user_id"] == who["user_id"]][:1]
    await signals.on_order_paid({**event.payload, "event_id": "evt_pending_during_backfill"})
    assert await aggregates_of(who["user_id"]) == incremental


async def test_the_backfill_command_rebuilds_a_user(client, server):
    who = await _history(client)
    incremental = await aggregates_of(who["user_id"])
    from app.recommendations.models import RecoItemStat
    await RecoItemStat.filter(user_id=who["user_id"]).delete()  # aggregates lost: the operator rebuilds them
    environ = {**os.environ, "YIJIAN_DATA_DIR": str(server.settings.data_dir),
               "YIJIAN_DATABASE_URL": server.settings.database_url}
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "app", "rebuild-recommendations",
                                                    "--user", who["user_id"]],
                                   env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "recommendations rebuilt: 1 users, 5 paid orders"
    assert await aggregates_of(who["user_id"]) == incremental


async def test_concurrent_events_of_one_user_are_all_counted(client):
    tea = await product(client, price_fen=1000, stock=50)
    who = await shopper(client, balance_fen=20000, pin=PIN, pin_free_limit_fen=5000)
    marker = await _last_event_id()
    orders = await asyncio.gather(*(paid_with_wallet(client, who, [(tea, 1)]) for _ in range(10)))
    events = [e for e in await OutboxEvent.filter(id__gt=marker, kind="order.paid")
              if e.payload["user_id"] == who["user_id"]]
    assert len(events) == 10
    # Every event applied at once by several workers (the engine may be applying them too).
    await asyncio.gather(*(signals.on_order_paid(e.payload) for e in events for _ in range(3)))
    aggregates = await aggregates_of(who["user_id"])
    assert aggregates["user"]["paid_orders"] == 10
    assert sorted(p["order_id"] for p in aggregates["user"]["recent_payments"]) == sorted(o["id"] for o in orders)
    [method] = aggregates["methods"]
    assert method["paid_count"] == 10
    assert {(i["kind"], i["orders_count"], i["quantity"]) for i in aggregates["items"]} == {
        ("product", 10, 10), ("category", 10, 10)}

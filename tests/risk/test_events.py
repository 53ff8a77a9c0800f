"""Risk events (DESIGN.md §7): recorded where they happen, once per kind, subject and 10 minutes with a count,
listed for operators and counted in /metrics."""

from __future__ import annotations

import asyncio

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.risk import events
from app.risk.models import RiskEvent
from tests.checkout.helpers import PIN, shopper
from tests.factories import assert_error, operator_headers, unique_label
from tests.jobs.helpers import wait_until
from tests.metrics.helpers import scrape
from tests.notify.helpers import admin_order, notify, pay, sandbox_keys, seal, sign, transaction, wechat_order
from tests.risk.helpers import clear_of_window_edge, risk_events
from tests.servers import client_from, other_loopback_address

WRONG = "369250"


def _forger_pem() -> str:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


async def _forged(client, server):
    """A notification for a real order, signed with a key that is not WeChat Pay's, and a source of its own."""
    made, keys = await wechat_order(client), await sandbox_keys(client)
    body = seal(keys, transaction(keys, made["order"]))
    return made["order"], body, sign(keys, body, private_key_pem=_forger_pem()), other_loopback_address()


async def test_a_forged_notification_creates_one_notify_forgery_event(client, server):
    await clear_of_window_edge()
    order, body, headers, source = await _forged(client, server)
    async with client_from(server.base_url, source, timeout=30.0) as forger:
        assert (await notify(forger, body, headers)).status_code == 401
    [event] = await risk_events(client, "notify_forgery", f"ip:{source}")
    assert event["count"] == 1 and event["details"] == {"endpoint": "/notify/wechatpay", "reason": "signature"}
    assert event["at"] == event["last_at"] and event["id"].startswith("rsk_")
    assert (await admin_order(client, order["id"]))["status"] == "PAYING"


async def test_a_burst_of_fifty_forged_notifications_is_one_event_counted_fifty_times(client, server):
    await clear_of_window_edge()
    order, body, headers, source = await _forged(client, server)
    before = (await scrape(client)).value("yijian_risk_events_total", kind="notify_forgery")
    async with client_from(server.base_url, source, timeout=60.0,
                           limits=httpx.Limits(max_connections=50)) as forger:
        answers = await asyncio.gather(*(notify(forger, body, headers) for _ in range(50)))
    assert [answer.status_code for answer in answers] == [401] * 50
    [event] = await risk_events(client, "notify_forgery", f"ip:{source}")
    assert event["count"] == 50
    assert await RiskEvent.filter(kind="notify_forgery", subject=f"ip:{source}").count() == 1
    assert (await scrape(client)).value("yijian_risk_events_total", kind="notify_forgery") - before == 50


async def test_concurrent_first_occurrences_make_one_row(server):
    """The unique key settles many first occurrences at once: one row, every occurrence counted."""
    await clear_of_window_edge()
    subject = events.address(other_loopback_address())
    await asyncio.gather(*(events.record("notify_forgery", subject, {"n": n}) for n in range(30)))
    [row] = await RiskEvent.filter(kind="notify_forgery", subject=subject)
    assert row.count == 30


async def test_a_pin_lockout_creates_pin_guessing(client):
    who = await shopper(client, pin=PIN)
    for attempt in range(5):
        response = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": WRONG},
                                      headers=who["headers"])
        assert_error(response, 403, "WALLET_PIN_WRONG" if attempt < 4 else "WALLET_PIN_LOCKED")
    [event] = await risk_events(client, "pin_guessing", f"user:{who['user_id']}")
    assert event["count"] == 1 and event["details"]["locked_until"]
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": WRONG},
                                    headers=who["headers"]), 403, "WALLET_PIN_LOCKED")
    [again] = await risk_events(client, "pin_guessing", f"user:{who['user_id']}")
    assert again["count"] == 1  # a locked wallet verifies nothing, so nothing more is guessed


async def test_a_payment_of_another_amount_creates_amount_mismatch(client):
    made, keys = await wechat_order(client), await sandbox_keys(client)
    order = made["order"]
    body = seal(keys, transaction(keys, order, amount={"total": order["payable_fen"] - 1, "currency": "CNY"}))
    assert (await notify(client, body, sign(keys, body))).status_code == 204
    [event] = await risk_events(client, "amount_mismatch", f"order:{order['id']}")
    assert event["count"] == 1 and event["details"]["amount_fen"] == order["payable_fen"] - 1


async def test_a_payment_after_close_creates_paid_after_close(client):
    made = await wechat_order(client)
    order = made["order"]
    cancelled = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=made["who"]["headers"])
    assert cancelled.json()["status"] == "CLOSED"
    paid = await pay(client, made["prepay_id"], force=True)
    [event] = await wait_until(lambda: risk_events(client, "paid_after_close", f"order:{order['id']}"))
    assert event["details"]["transaction_id"] == paid["transaction_id"]


async def test_risk_events_are_filtered_by_kind_and_checked(client):
    analyst = await operator_headers(client, "analyst")
    subject = events.user(unique_label("usr_"))  # a database kept between runs holds earlier windows
    await events.record("velocity", subject, {"limit": "one_tap_user"})
    await events.record("refund_anomaly", subject, {"flag": "refund_abnormal"})
    velocity = await risk_events(client, "velocity", subject)
    assert [e["kind"] for e in velocity] == ["velocity"]
    everything = (await client.get("/admin/v1/risk/events", params={"limit": 100}, headers=analyst)).json()
    assert {"velocity", "refund_anomaly"} <= {e["kind"] for e in everything["items"]}
    assert_error(await client.get("/admin/v1/risk/events", params={"kind": "fraud"}, headers=analyst),
                 422, "VALIDATION_FAILED")
    assert_error(await client.get("/admin/v1/risk/events"), 401, "AUTH_TOKEN_MISSING")

"""Duplicates, concurrency, late and reordered notifications: one transition, one payment (DESIGN.md §4)."""

from __future__ import annotations

import asyncio

from app.orders.settlement import settle
from app.payments.registry import V3
from tests.notify.helpers import (
    SANDBOX, admin_order, deliveries, faults, first_attempt, notifications_log, notify, pay, rows, wait_for_status,
    wechat_order,
)


async def test_duplicate_notification_is_acknowledged_and_changes_nothing(client):
    made = await wechat_order(client)
    order = made["order"]
    await pay(client, made["prepay_id"])
    await wait_for_status(client, order["id"], "PAID")
    first = (await deliveries(client, order["out_trade_no"]))[0]
    resent = await client.post(f"{SANDBOX}/control/notifications/{first['id']}/resend")
    assert resent.status_code == 200 and resent.json()["response"]["status"] == 204
    assert (await rows(order["id"]))["payments"] == 1
    assert (await rows(order["id"]))["paid_events"] == 1
    verdicts = [e["verdict"] for e in await notifications_log(client, order["out_trade_no"])]
    assert verdicts[:2] == ["duplicate", "paid"]


async def test_twenty_concurrent_deliveries_pay_once(client):
    made = await wechat_order(client)
    order = made["order"]
    # The sandbox's own notification, kept from our endpoint so that the 20 copies race for the first payment.
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["pay_notify"]}):
        await pay(client, made["prepay_id"])
        sent = await first_attempt(client, order["out_trade_no"])
        answers = await asyncio.gather(*(notify(client, sent["body"], sent["headers"]) for _ in range(20)))
    # Every copy is recorded: one as the payment, the others as duplicates, all answered 204 with no body. A 500
    # would be our own failure (WeChat would retry it), not an answer to a duplicate.
    assert [(a.status_code, a.content) for a in answers] == [(204, b"")] * 20, [a.text for a in answers]
    assert (await admin_order(client, order["id"]))["status"] == "PAID"
    held = await rows(order["id"])
    assert held["payments"] == 1 and held["paid_events"] == 1
    assert [t for t in held["transitions"] if t[1] == "PAID"] == [("PAYING", "PAID", "notification")]
    # The twenty copies by their nonce: the sandbox's own retries, once the fault is gone, carry the same body.
    nonce = {k.lower(): v for k, v in sent["headers"].items()}["wechatpay-nonce"]
    verdicts = [e["verdict"] for e in await notifications_log(client, order["out_trade_no"])
                if e["headers"].get("wechatpay-nonce") == nonce]
    assert sorted(verdicts) == ["duplicate"] * 19 + ["paid"], verdicts


async def test_late_notification_after_a_query_is_a_duplicate(client, server):
    made = await wechat_order(client)
    order = made["order"]
    async with faults(client, {"kind": "notify_delay", "rate": 1, "delay_s": 1, "apis": ["pay_notify"]}):
        paid = await pay(client, made["prepay_id"])
        payments = server.app.ctx.deps.payments
        state = await payments.get(V3).query(order["out_trade_no"])
        assert (await settle(payments, state, "query")).result == "paid"
        log = await deliveries(client, order["out_trade_no"])
    assert log[0]["response"]["status"] == 204
    detail = await admin_order(client, order["id"])
    assert detail["transaction_id"] == paid["transaction_id"]
    assert [(t["to"], t["cause"]) for t in detail["transitions"]][-1] == ("PAID", "query")
    assert (await notifications_log(client, order["out_trade_no"]))[0]["verdict"] == "duplicate"
    assert (await rows(order["id"]))["payments"] == 1


async def test_reordered_notifications_each_settle_their_own_order(client):
    first, second = await wechat_order(client), await wechat_order(client)
    async with faults(client, {"kind": "notify_reorder", "rate": 1, "apis": ["pay_notify"]}):
        await pay(client, first["prepay_id"])
        await pay(client, second["prepay_id"])
        for made in (first, second):
            await wait_for_status(client, made["order"]["id"], "PAID")
    for made in (first, second):
        assert (await rows(made["order"]["id"]))["payments"] == 1


async def test_unknown_order_is_404_fail(client):
    from tests.notify.helpers import sandbox_keys, seal, sign, transaction

    keys = await sandbox_keys(client)
    body = seal(keys, transaction(keys, {"out_trade_no": "YJNOSUCHORDER000000000000001", "payable_fen": 100}))
    answer = await notify(client, body, sign(keys, body))
    assert answer.status_code == 404 and answer.json()["code"] == "FAIL"
    entry = (await notifications_log(client, "YJNOSUCHORDER000000000000001"))[0]
    assert entry["verdict"] == "unknown_order" and entry["answer"]["status"] == 404


async def test_our_own_failure_is_500_fail_and_changes_nothing(client, monkeypatch):
    from tortoise.exceptions import OperationalError

    from app.notify import service

    async def database_is_locked(*args, **kwargs):
        raise OperationalError("database is locked")

    made = await wechat_order(client)
    order = made["order"]
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["pay_notify"]}):
        await pay(client, made["prepay_id"])
        sent = await first_attempt(client, order["out_trade_no"])
        monkeypatch.setattr(service, "settle", database_is_locked)
        answer = await notify(client, sent["body"], sent["headers"])
        monkeypatch.undo()
    assert answer.status_code == 500 and answer.json() == {"code": "FAIL", "message": answer.json()["message"]}
    entries = await notifications_log(client, order["out_trade_no"], verdict="error")
    assert entries and entries[0]["answer"]["status"] == 500
    assert (await wait_for_status(client, order["id"], "PAID"))  # WeChat's retry settles it
    assert (await rows(order["id"]))["payments"] == 1

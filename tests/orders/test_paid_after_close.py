"""A payment that arrives after the order was closed is recorded, flagged and refunded (DESIGN.md §3, §6)."""

from __future__ import annotations

import asyncio

from tests.notify.helpers import admin_order, deliveries, pay, rows, wechat_order


async def test_paid_after_close_is_flagged_and_refunded(client):
    made = await wechat_order(client)
    order = made["order"]
    cancelled = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=made["who"]["headers"])
    assert cancelled.json()["status"] == "CLOSED"
    paid = await pay(client, made["prepay_id"], force=True)  # the user paid just as we closed it
    log = await deliveries(client, order["out_trade_no"], event_type="TRANSACTION.SUCCESS")
    assert log[0]["response"]["status"] == 204
    for _ in range(200):
        detail = await admin_order(client, order["id"])
        if detail["status"] == "REFUNDED":
            break
        await asyncio.sleep(0.05)
    assert detail["status"] == "REFUNDED", detail["status"]
    assert detail["transaction_id"] == paid["transaction_id"]
    assert [f["kind"] for f in detail["flags"]] == ["paid_after_close"]
    assert [(t["from"], t["to"], t["cause"]) for t in detail["transitions"]][-3:] == [
        ("PAYING", "CLOSED", "cancel"), ("CLOSED", "REFUNDING", "paid_after_close"),
        ("REFUNDING", "REFUNDED", "notification")]
    [refund] = detail["refunds"]
    assert (refund["cause"], refund["status"], refund["amount_fen"]) == (
        "paid_after_close", "SUCCESS", order["payable_fen"])
    held = await rows(order["id"])
    assert held["payments"] == 1 and held["paid_events"] == 0  # nothing to fulfil
    user_view = (await client.get(f"/api/v1/orders/{order['id']}", headers=made["who"]["headers"])).json()
    assert user_view["status"] == "REFUNDED"

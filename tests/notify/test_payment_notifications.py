"""APIv3 payment notifications: verified, checked against the order, applied exactly once (DESIGN.md §4)."""

from __future__ import annotations

from tests.notify.helpers import (
    deliveries, notifications_log, pay, wait_for_status, wechat_order,
)


async def test_payment_notification_marks_the_order_paid(client):
    made = await wechat_order(client)
    order = made["order"]
    paid = await pay(client, made["prepay_id"])
    detail = await wait_for_status(client, order["id"], "PAID")
    assert detail["transaction_id"] == paid["transaction_id"]
    assert [(t["from"], t["to"], t["cause"]) for t in detail["transitions"]] == [
        (None, "PAYING", "one_tap"), ("PAYING", "PAID", "notification")]
    assert [p["transaction_id"] for p in detail["payments"]] == [paid["transaction_id"]]
    log = await deliveries(client, order["out_trade_no"])
    assert log[0]["response"]["status"] == 204 and log[0]["response"]["body"] == ""
    user_view = (await client.get(f"/api/v1/orders/{order['id']}", headers=made["who"]["headers"])).json()
    assert user_view["status"] == "PAID" and user_view["paid_at"]
    entries = await notifications_log(client, order["out_trade_no"])
    assert entries[0]["verdict"] == "paid" and entries[0]["answer"]["status"] == 204

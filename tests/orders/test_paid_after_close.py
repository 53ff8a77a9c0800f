"""A payment that arrives after the order was closed is recorded, flagged and refunded (DESIGN.md §3, §6)."""

from __future__ import annotations

import asyncio

from app.jobs import outbox, runner
from app.jobs.models import OutboxEvent
from app.orders.models import Order
from app.refunds.models import Refund
from tests.jobs.helpers import wait_until
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


async def test_the_refund_of_a_payment_after_close_is_queued_not_asked_for_while_the_notification_is_handled(
        client, server):
    made = await wechat_order(client)
    order = made["order"]
    await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=made["who"]["headers"])
    await runner.stop(server.app)  # no jobs: what the notification's handling did is all there is
    try:
        await pay(client, made["prepay_id"], force=True)
        log = await deliveries(client, order["out_trade_no"], event_type="TRANSACTION.SUCCESS")
        assert log[0]["response"]["status"] == 204
        row = await Order.get(id=order["id"])
        assert (row.status, row.refunded_fen) == ("REFUNDING", order["payable_fen"])  # reserved with the payment
        assert await Refund.filter(order_id=order["id"]).count() == 0  # nothing asked of WeChat Pay yet
    finally:
        await runner.start(server.app)
    await wait_until(lambda: _status_is(order["id"], "REFUNDED"))
    assert await Refund.filter(order_id=order["id"]).count() == 1


async def test_the_automatic_refund_is_made_once_however_often_its_event_is_applied(client, server):
    made = await wechat_order(client)
    order = made["order"]
    await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=made["who"]["headers"])
    await pay(client, made["prepay_id"], force=True)
    await wait_until(lambda: _status_is(order["id"], "REFUNDED"))
    [event] = [e for e in await OutboxEvent.filter(kind="order.paid_after_close")
               if e.payload["order_id"] == order["id"]]
    # As if the outbox ran the event again, many times at once (a retry after a crash, two workers).
    await asyncio.gather(*(consumer(server.app.ctx.deps, event.payload)
                           for consumer in outbox.HANDLERS["order.paid_after_close"] for _ in range(5)))
    assert await Refund.filter(order_id=order["id"]).count() == 1
    row = await Order.get(id=order["id"])
    assert (row.status, row.refunded_fen) == ("REFUNDED", order["payable_fen"])


async def _status_is(order_id: str, status: str) -> bool:
    return (await Order.get(id=order_id)).status == status

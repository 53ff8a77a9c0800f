"""Active query (DESIGN §4) and the query on read (§3): a lost notification does not leave an order PAYING."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.orders import jobs
from app.orders.models import Order
from tests.jobs.helpers import make_due, now, park, sandbox_fault, status_of, wait_until
from tests.notify.helpers import admin_order, pay, wechat_order


def _causes(detail: dict) -> list[tuple[str, str, str]]:
    return [(t["from"], t["to"], t["cause"]) for t in detail["transitions"]]


async def test_first_query_is_due_at_the_first_slot_after_creation(client, server):
    made = await wechat_order(client)
    order = await Order.get(id=made["order"]["id"])
    first = server.settings.query_schedule_s[0]
    assert order.next_query_at == order.created_at + timedelta(seconds=first)
    assert order.query_attempts == 0


def test_slots_follow_the_schedule_and_end_at_expiry():
    created = now()
    expires = created + timedelta(seconds=900)
    schedule = (5, 30, 60, 180, 600, 1800)
    slots = [jobs.next_query_at(created, expires, schedule, n) - created for n in range(8)]
    assert [int(s.total_seconds()) for s in slots] == [5, 30, 60, 180, 600, 900, 900, 900]


async def test_lost_notification_is_recovered_by_the_active_query(client):
    made = await wechat_order(client)
    order = made["order"]
    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        paid = await pay(client, made["prepay_id"])
        log = (await client.get("/sandbox/wechat/control/notifications",
                                params={"out_trade_no": order["out_trade_no"]})).json()["items"]
        assert log and all(d["response"] is None for d in log)
        await make_due(order["id"])  # the first slot has come; the session's engine sweeps every second
        await wait_until(lambda: _is(order["id"], "PAID"))
    detail = await admin_order(client, order["id"])
    assert _causes(detail)[-1] == ("PAYING", "PAID", "query")
    assert detail["transaction_id"] == paid["transaction_id"] and len(detail["payments"]) == 1
    # The notification WeChat delivers at last is a duplicate: acknowledged, still one payment.
    resent = await client.post(f"/sandbox/wechat/control/notifications/{log[0]['id']}/resend")
    assert resent.json()["response"]["status"] in (200, 204)
    assert len((await admin_order(client, order["id"]))["payments"]) == 1


async def test_unpaid_order_is_queried_then_scheduled_for_the_next_slot(client, server):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    deps, schedule = server.app.ctx.deps, server.settings.query_schedule_s
    await park(order_id)
    order = await Order.get(id=order_id)
    at = order.next_query_at + timedelta(seconds=1)
    [claim] = await jobs.claim_due(at, order_ids=[order_id])
    assert await jobs.claim_due(at, order_ids=[order_id]) == []  # claimed once
    assert await jobs.run_due_order(deps, order_id, claim.lease_until) == "unchanged"  # NOTPAY
    order = await Order.get(id=order_id)
    assert order.status == "PAYING" and order.query_attempts == 1
    assert order.next_query_at == order.created_at + timedelta(seconds=schedule[1])
    assert await jobs.run_due_order(deps, order_id, claim.lease_until) == "stale"  # the lease is spent


async def test_concurrent_sweeps_claim_an_order_once(client):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    await park(order_id)
    at = now() + timedelta(hours=2)
    results = await asyncio.gather(*(jobs.claim_due(at, order_ids=[order_id]) for _ in range(10)))
    assert sum(len(claims) for claims in results) == 1


async def test_query_failure_moves_on_to_the_next_slot(client, server):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    await park(order_id)
    [claim] = await jobs.claim_due(now() + timedelta(hours=2), order_ids=[order_id])
    async with sandbox_fault(client, "api_error", apis=["query"]):
        assert await jobs.run_due_order(server.app.ctx.deps, order_id, claim.lease_until) == "unavailable"
    order = await Order.get(id=order_id)
    assert order.status == "PAYING" and order.query_attempts == 1
    assert order.next_query_at == order.created_at + timedelta(seconds=server.settings.query_schedule_s[1])


async def test_get_on_an_order_paying_for_5_seconds_queries_wechat_pay(client):
    made = await wechat_order(client)
    order, headers = made["order"], made["who"]["headers"]
    await park(order["id"])
    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        await pay(client, made["prepay_id"])
        young = (await client.get(f"/api/v1/orders/{order['id']}", headers=headers)).json()
        assert young["status"] == "PAYING"  # under 5 s old: answered from the database alone
        await Order.filter(id=order["id"]).update(created_at=now() - timedelta(seconds=6))
        seen = (await client.get(f"/api/v1/orders/{order['id']}", headers=headers)).json()
    assert seen["status"] == "PAID" and seen["paid_at"]
    assert _causes(await admin_order(client, order["id"]))[-1] == ("PAYING", "PAID", "read_query")


async def test_query_on_read_runs_at_most_once_per_5_seconds(client):
    made = await wechat_order(client)
    order, headers = made["order"], made["who"]["headers"]
    await park(order["id"])
    await Order.filter(id=order["id"]).update(created_at=now() - timedelta(seconds=6))
    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        first = await client.get(f"/api/v1/orders/{order['id']}", headers=headers)  # queries: NOTPAY
        await pay(client, made["prepay_id"])
        again = await client.get(f"/api/v1/orders/{order['id']}", headers=headers)  # within 5 s: no query
    assert first.json()["status"] == "PAYING" and again.json()["status"] == "PAYING"


async def _is(order_id: str, status: str) -> bool:
    return await status_of(order_id) == status

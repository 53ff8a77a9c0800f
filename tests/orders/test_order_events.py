"""POST /api/v1/orders/{id}/events (DESIGN §9): a cancel at WeChat's cashier is recorded once; the order stays payable."""

from __future__ import annotations

import asyncio

from app.jobs.models import OutboxEvent
from app.orders.models import OrderEvent
from tests.checkout.helpers import shopper
from tests.factories import assert_error
from tests.jobs.helpers import wait_until
from tests.notify.helpers import pay, wait_for_status, wechat_order

CANCELLED = {"event": "payment_cancelled"}


def _report(client, made: dict, body=CANCELLED, headers: dict | None = None):
    return client.post(f"/api/v1/orders/{made['order']['id']}/events", json=body,
                       headers=headers or made["who"]["headers"])


async def _recorded(order_id: str) -> list[OutboxEvent]:
    return [event for event in await OutboxEvent.filter(kind="order.payment_cancelled")
            if event.payload["order_id"] == order_id]


async def test_cancel_is_recorded_as_an_outbox_event_and_the_order_stays_payable(client):
    made = await wechat_order(client)
    order = made["order"]
    response = await _report(client, made)
    assert response.status_code == 204 and response.content == b""
    [event] = await _recorded(order["id"])
    assert event.payload["user_id"] == made["who"]["user_id"]
    assert event.payload["payment_method"] == "wechatpay"
    assert event.payload["at"]
    mine = await client.get(f"/api/v1/orders/{order['id']}", headers=made["who"]["headers"])
    assert mine.json()["status"] == "PAYING"
    await pay(client, made["prepay_id"])  # the same prepay, paid after all
    await wait_for_status(client, order["id"], "PAID")


async def test_repeated_and_concurrent_reports_record_once(client):
    made = await wechat_order(client)
    answers = await asyncio.gather(*(_report(client, made) for _ in range(10)))
    assert [a.status_code for a in answers] == [204] * 10
    assert (await _report(client, made)).status_code == 204
    assert len(await _recorded(made["order"]["id"])) == 1
    assert await OrderEvent.filter(order_id=made["order"]["id"]).count() == 1


async def test_the_outbox_handles_the_event_once(client):
    made = await wechat_order(client)
    await _report(client, made)

    async def done():
        [event] = await _recorded(made["order"]["id"])
        return event if event.done_at is not None else None

    event = await wait_until(done)  # the session's engine sweeps the outbox every second
    assert event.attempts == 1


async def test_another_users_order_is_not_found_and_nothing_is_recorded(client):
    made = await wechat_order(client)
    stranger = await shopper(client)
    assert_error(await _report(client, made, headers=stranger["headers"]), 404, "NOT_FOUND")
    assert await _recorded(made["order"]["id"]) == []


async def test_unknown_or_missing_event_is_a_validation_error(client):
    made = await wechat_order(client)
    for body in ({"event": "paid"}, {}, {"event": 1}):
        error = assert_error(await _report(client, made, body=body), 422, "VALIDATION_FAILED")
        assert [f["field"] for f in error["fields"]] == ["event"]
    assert await _recorded(made["order"]["id"]) == []


async def test_a_report_needs_a_login(client):
    made = await wechat_order(client)
    assert_error(await client.post(f"/api/v1/orders/{made['order']['id']}/events", json=CANCELLED),
                 401, "AUTH_TOKEN_MISSING")


async def test_a_report_on_an_order_no_longer_paying_records_nothing(client):
    made = await wechat_order(client)
    await pay(client, made["prepay_id"])
    await wait_for_status(client, made["order"]["id"], "PAID")
    assert (await _report(client, made)).status_code == 204
    assert await _recorded(made["order"]["id"]) == []
    assert await OrderEvent.filter(order_id=made["order"]["id"]).count() == 0

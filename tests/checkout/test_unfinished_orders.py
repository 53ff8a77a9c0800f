"""A one-tap that died between committing its order and storing its answer: a retry with its key finishes that
order, or the jobs close it promptly and free the key (issue 13, item 2; the real crash is test_crash_recovery)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from app.checkout.idempotency import FIRST_GONE_AFTER, request_hash
from app.checkout.models import IdempotencyRecord
from app.checkout.schemas import OneTapBody
from app.orders.schedule import prepay_due_at
from app.orders.models import Order
from tests.checkout.helpers import items, one_tap, product, shopper
from tests.jobs.helpers import make_due, wait_until
from tests.notify.helpers import SANDBOX, admin_order


def _long_ago() -> datetime:
    return datetime.now(timezone.utc) - FIRST_GONE_AFTER - timedelta(seconds=1)


async def _died_before_its_answer(who: dict, key: str, order_id: str) -> None:
    """Put the order and its key where a crash after the order's commit leaves them: the order PAYING without a
    prepay, hidden, due to the jobs at its grace; the key `ordered`, no answer, old enough to be taken over.
    (WeChat Pay keeps the prepay it made, as it would have after the crash.)"""
    order = await Order.get(id=order_id)
    await Order.filter(id=order_id).update(prepay_id=None, listed=False, next_query_at=prepay_due_at(order.created_at))
    assert await IdempotencyRecord.filter(user_id=who["user_id"], key=key).update(
        state="ordered", response_status=None, response_body=None, created_at=_long_ago())


async def _tapped(client, *, stock: int = 5, quantity: int = 1):
    tea = await product(client, price_fen=1300, stock=stock)
    who = await shopper(client)
    key = uuid.uuid4().hex
    body = {"items": items((tea, quantity)), "payment_method": "wechatpay"}
    first = await one_tap(client, who, body, key)
    assert first.status_code == 201, first.text
    await _died_before_its_answer(who, key, first.json()["order"]["id"])
    return tea, who, key, body, first.json()


async def _stock(client, who, tea) -> int:
    return (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"]


async def test_a_retry_finishes_the_order_of_a_one_tap_that_died(client):
    tea, who, key, body, lost = await _tapped(client)
    order_id = lost["order"]["id"]
    assert (await client.get(f"/api/v1/orders/{order_id}", headers=who["headers"])).status_code == 404  # hidden

    retry = await one_tap(client, who, body, key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert retry.json()["order"] == lost["order"]
    # The identical prepay request got the prepay WeChat Pay made for the first one.
    assert retry.json()["payment"]["request_payment"]["package"] == lost["payment"]["request_payment"]["package"]
    shown = await client.get(f"/api/v1/orders/{order_id}", headers=who["headers"])
    assert shown.status_code == 200 and shown.json()["status"] == "PAYING"
    assert [o["id"] for o in (await client.get("/api/v1/orders", headers=who["headers"])).json()["items"]] == [order_id]
    assert await _stock(client, who, tea) == 4

    again = await one_tap(client, who, body, key)
    assert again.json() == retry.json() and again.headers["idempotent-replayed"] == "true"


async def test_concurrent_retries_finish_the_order_once(client):
    tea, who, key, body, lost = await _tapped(client)
    # Usually several of them find the order unanswered and ask WeChat Pay for its prepay at once.
    responses = await asyncio.gather(*[one_tap(client, who, body, key) for _ in range(6)])
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)  # one answer stored, every other one replays it
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    record = await IdempotencyRecord.get(user_id=who["user_id"], key=key)
    assert record.state == "done" and record.response_body == responses[0].json()
    order = await Order.get(id=lost["order"]["id"])
    assert f"prepay_id={order.prepay_id}" == responses[0].json()["payment"]["request_payment"]["package"]
    assert await Order.filter(user_id=who["user_id"]).count() == 1
    assert await _stock(client, who, tea) == 4


async def test_an_order_whose_prepay_was_lost_is_closed_promptly_and_its_key_freed(client):
    tea, who, key, body, lost = await _tapped(client, stock=3, quantity=2)
    order_id = lost["order"]["id"]
    assert await _stock(client, who, tea) == 1
    await make_due(order_id)  # its grace is over and no retry came: the jobs take it

    async def closed():
        detail = await admin_order(client, order_id)
        return detail["status"] == "CLOSED" and detail

    detail = await wait_until(closed)
    assert detail["close_cause"] == "prepay_lost" and detail["listed"] is False
    assert await _stock(client, who, tea) == 3
    # Closed at WeChat Pay first: the prepay it had made can no longer be paid.
    prepay_id = lost["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
    paid = await client.post(f"{SANDBOX}/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
    assert paid.status_code == 409 and paid.json()["code"] == "ORDER_CLOSED"
    # That attempt failed and stored nothing: the key makes the order anew.
    retry = await one_tap(client, who, body, key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert retry.json()["order"]["id"] != order_id
    assert await _stock(client, who, tea) == 1


async def test_a_key_left_running_without_an_order_is_taken_over(client):
    tea = await product(client, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    body = {"items": items((tea, 1))}
    # A request that died before its order's transaction: its record says running, and no order exists.
    await IdempotencyRecord.create(user_id=who["user_id"], key=key, request_hash=request_hash(OneTapBody(**body)),
                                   state="running", created_at=_long_ago())
    response = await one_tap(client, who, body, key)
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert await Order.filter(user_id=who["user_id"]).count() == 1
    assert await _stock(client, who, tea) == 4

"""A client that hangs up mid-request does not cut the request's work short (app/core/disconnects.py)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from app.orders.models import Order
from tests.checkout.helpers import items, one_tap, product, shopper
from tests.jobs.helpers import sandbox_fault


async def test_one_tap_whose_client_hangs_up_finishes_and_replays_its_answer(client, server):
    tea = await product(client, price_fen=900, stock=5)
    who = await shopper(client)
    body = {"items": items((tea, 1)), "payment_method": "wechatpay"}
    key = uuid.uuid4().hex
    async with sandbox_fault(client, "api_timeout", apis=["jsapi"]) as fault:
        assert fault["delay_s"] >= 1.0
        # WeChat Pay's prepay answers after `delay_s`; this client gives up long before and closes the connection.
        async with httpx.AsyncClient(base_url=server.base_url, timeout=0.3) as impatient:
            with pytest.raises(httpx.ReadTimeout):
                await impatient.post("/api/v1/checkout/one-tap", json=body,
                                     headers={**who["headers"], "Idempotency-Key": key})
    # The handler went on without its client: the slow prepay is requested and stored with the order ...
    for _ in range(100):
        orders = await Order.filter(user_id=who["user_id"])
        if orders and orders[0].prepay_id:
            break
        await asyncio.sleep(0.1)
    assert len(orders) == 1 and orders[0].prepay_id and orders[0].status == "PAYING"
    # ... and the same key answers with the first (complete) answer.
    replay = await one_tap(client, who, body, key=key)
    assert replay.status_code == 201, replay.text
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["payment"]["request_payment"]["package"] == f"prepay_id={orders[0].prepay_id}"

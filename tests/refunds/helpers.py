"""Paid orders and refund calls for the refund tests, through the public API only."""

from __future__ import annotations

import asyncio
import uuid

from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import operator_headers
from tests.notify.helpers import admin_order, pay, wait_for_status, wechat_order


async def refund(client, order_id: str, amount_fen: int, *, key: str | None = None, reason: str = "顾客退货",
                 role: str = "operator"):
    headers = {**await operator_headers(client, role), "Idempotency-Key": key or uuid.uuid4().hex}
    return await client.post(f"/admin/v1/orders/{order_id}/refund", json={"amount_fen": amount_fen, "reason": reason},
                             headers=headers)


async def paid_wechat_order(client, price_fen: int = 1200) -> dict:
    made = await wechat_order(client, price_fen=price_fen)
    await pay(client, made["prepay_id"])
    await wait_for_status(client, made["order"]["id"], "PAID")
    return made["order"]


async def paid_wallet_order(client, price_fen: int = 1200) -> tuple[dict, dict]:
    tea = await product(client, price_fen=price_fen, stock=10)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    response = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert response.status_code == 201, response.text
    return response.json()["order"], who


async def wait_refund(client, order_id: str, refund_id: str, status: str = "SUCCESS") -> dict:
    for _ in range(200):
        detail = await admin_order(client, order_id)
        if next(r for r in detail["refunds"] if r["id"] == refund_id)["status"] == status:
            return await admin_order(client, order_id)  # read again: the order was read before its refunds
        await asyncio.sleep(0.05)
    raise AssertionError(f"refund {refund_id} never {status}")

"""An order keeps the WeChat Pay API that made its prepay, and is queried and closed through it."""

from __future__ import annotations

from app.orders.models import Order
from tests.factories import assert_error
from tests.jobs.helpers import park, sandbox_fault
from tests.notify.helpers import wechat_order
from tests.refunds.helpers import paid_wallet_order


async def _cancel(client, made: dict):
    return await client.post(f"/api/v1/orders/{made['order']['id']}/cancel", headers=made["who"]["headers"])


async def test_an_order_is_closed_through_the_api_that_made_it(client):
    v3_order, older = await wechat_order(client), await wechat_order(client)
    assert (await Order.get(id=v3_order["order"]["id"])).provider_api == "wechatpay_v3"
    for made in (v3_order, older):
        await park(made["order"]["id"])
    # As if `older` had been made while YIJIAN_WXPAY_API was v2: its close must go to APIv2's closeorder.
    await Order.filter(id=older["order"]["id"]).update(provider_api="wechatpay_v2")
    async with sandbox_fault(client, "api_error", apis=["closeorder"]):
        assert_error(await _cancel(client, older), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
        closed = await _cancel(client, v3_order)  # APIv3's close is not touched by the fault
        assert closed.status_code == 200 and closed.json()["status"] == "CLOSED", closed.text
    assert (await Order.get(id=older["order"]["id"])).status == "PAYING"
    closed = await _cancel(client, older)
    assert closed.status_code == 200 and closed.json()["status"] == "CLOSED", closed.text


async def test_a_wallet_order_names_no_wechat_pay_api(client):
    order, _ = await paid_wallet_order(client)
    row = await Order.get(id=order["id"])
    assert row.provider == "wallet" and row.provider_api is None

"""APIv2: XML payment and refund notifications at /notify/wechatpay/v2, settled by the APIv2 provider even when
APIv3 serves new orders (an order made under the other setting still settles and refunds)."""

from __future__ import annotations

import pytest

from tests.notify.helpers import (
    admin_order, deliveries, faults, first_attempt, notifications_log, notify, pay, wait_for_status, wechat_order,
)
from tests.refunds.helpers import refund, wait_refund


@pytest.fixture
async def v2_order(server, client):
    """A PAYING order made while YIJIAN_WXPAY_API=v2 served WeChat Pay; the setting is back to v3 after."""
    payments = server.app.ctx.deps.payments
    saved, payments.default_api = payments.default_api, "wechatpay_v2"
    try:
        made = await wechat_order(client)
    finally:
        payments.default_api = saved
    assert made["order"]["status"] == "PAYING"
    return made


async def test_v2_payment_notification_pays_and_is_answered_in_xml(client, v2_order):
    order = v2_order["order"]
    paid = await pay(client, v2_order["prepay_id"])
    detail = await wait_for_status(client, order["id"], "PAID")
    assert detail["transaction_id"] == paid["transaction_id"]
    assert detail["payments"][0]["provider"] == "wechatpay_v2"
    answer = (await deliveries(client, order["out_trade_no"]))[0]["response"]
    assert answer["status"] == 200 and "<return_code><![CDATA[SUCCESS]]></return_code>" in answer["body"]
    [entry] = await notifications_log(client, order["out_trade_no"])
    assert entry["endpoint"] == "/notify/wechatpay/v2" and entry["verdict"] == "paid"


async def test_v2_notification_with_a_bad_sign_is_refused(client, v2_order):
    order = v2_order["order"]
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["v2_pay_notify"]}):
        await pay(client, v2_order["prepay_id"])
        sent = await first_attempt(client, order["out_trade_no"])
    forged = sent["body"].replace("<total_fee>", "<total_fee>1")  # the sign no longer matches
    answer = await notify(client, forged, {"Content-Type": "text/xml"}, path="/notify/wechatpay/v2")
    assert answer.status_code == 401 and "<return_code><![CDATA[FAIL]]></return_code>" in answer.text
    assert (await admin_order(client, order["id"]))["status"] == "PAYING"
    genuine = await notify(client, sent["body"], {"Content-Type": "text/xml"}, path="/notify/wechatpay/v2")
    assert genuine.status_code == 200 and "SUCCESS" in genuine.text
    assert (await admin_order(client, order["id"]))["status"] == "PAID"


async def test_v2_partial_then_full_refund_through_the_v2_refund_notification(client, v2_order):
    order = v2_order["order"]
    await pay(client, v2_order["prepay_id"])
    await wait_for_status(client, order["id"], "PAID")
    first = (await refund(client, order["id"], 200)).json()
    assert first["provider"] == "wechatpay_v2" and first["status"] == "PROCESSING"
    assert (await wait_refund(client, order["id"], first["id"]))["status"] == "PARTIALLY_REFUNDED"
    rest = (await refund(client, order["id"], order["payable_fen"] - 200)).json()
    assert (await wait_refund(client, order["id"], rest["id"]))["status"] == "REFUNDED"
    refund_entries = [e for e in await notifications_log(client, order["out_trade_no"])
                      if e["event_type"] == "REFUND.SUCCESS"]
    assert {e["verdict"] for e in refund_entries} == {"refund_finished"}
    assert {e["endpoint"] for e in refund_entries} == {"/notify/wechatpay/v2"}

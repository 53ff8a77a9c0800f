"""WeChat Pay APIv2 through wechatpy (an independent client): signs, orders, notifications, refunds."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import xmltodict
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from .conftest import PREFIX

ACK = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
NACK = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg></xml>"


@pytest.fixture(scope="session")
async def v2(sandbox, keys) -> WeChatPay:
    client = WeChatPay(appid=keys["appid"], api_key=keys["apiv2_key"], mch_id=keys["mchid"], timeout=10)
    client.API_BASE_URL = sandbox.origin + PREFIX + "/"
    return client


def _signed_by(fields: dict, api_key: str, sign_type: str) -> bool:
    fields = dict(fields)
    sign = fields.pop("sign")
    calculate = calculate_signature_hmac if sign_type == "HMAC-SHA256" else calculate_signature
    return sign == calculate(fields, api_key)


async def _create(v2: WeChatPay, receiver, out_trade_no: str, key: str, total: int = 880, **extra) -> dict:
    return await asyncio.to_thread(
        v2.order.create, trade_type="JSAPI", body="一键商品", total_fee=total, notify_url=receiver.url(key),
        client_ip="127.0.0.1", user_id="o_v2_user", out_trade_no=out_trade_no, **extra,
    )


async def _pay(client, prepay_id: str) -> dict:
    return (await client.post("/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})).json()


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
async def test_unifiedorder_and_payment_notification(client, v2, keys, receiver, sign_type):
    out_trade_no, key = "V" + secrets.token_hex(8), secrets.token_hex(4)
    receiver.script(key, (200, NACK), (200, ACK))
    extra = {"sign_type": sign_type} if sign_type != "MD5" else {}
    created = await _create(v2, receiver, out_trade_no, key, **extra)
    assert created["return_code"] == created["result_code"] == "SUCCESS"
    assert created["prepay_id"].startswith("wx") and created["trade_type"] == "JSAPI"
    assert _signed_by(created, keys["apiv2_key"], sign_type)

    paid = await _pay(client, created["prepay_id"])
    received = await receiver.wait_for(key, 2)  # the first answer was FAIL: WeChat retries
    await asyncio.sleep(0.1)
    assert len(receiver.received[key]) == 2
    xml = received[0]["body"]
    notification = xmltodict.parse(xml)["xml"]
    assert _signed_by(notification, keys["apiv2_key"], sign_type)
    if sign_type == "MD5":
        assert v2.parse_payment_result(xml)["total_fee"] == 880  # wechatpy's own MD5 check
    assert notification.get("sign_type") == (None if sign_type == "MD5" else "HMAC-SHA256")
    assert (notification["out_trade_no"], notification["transaction_id"], notification["total_fee"]) == (
        out_trade_no, paid["transaction_id"], "880")
    assert (notification["result_code"], notification["openid"], notification["appid"]) == (
        "SUCCESS", "o_v2_user", keys["appid"])
    assert len(notification["time_end"]) == 14


async def test_bad_sign_is_refused(client, keys):
    body = ("<xml><appid>%s</appid><mch_id>%s</mch_id><nonce_str>abc</nonce_str><out_trade_no>V_nobody_1</out_trade_no>"
            "<sign>0123456789ABCDEF0123456789ABCDEF</sign></xml>") % (keys["appid"], keys["mchid"])
    answer = await client.post("/pay/orderquery", content=body.encode(), headers={"Content-Type": "text/xml"})
    assert answer.status_code == 200
    assert xmltodict.parse(answer.text)["xml"] == {"return_code": "FAIL", "return_msg": "签名错误"}


async def test_orderquery_and_closeorder(v2, keys, receiver):
    out_trade_no = "V" + secrets.token_hex(8)
    await _create(v2, receiver, out_trade_no, "v2_close")
    queried = await asyncio.to_thread(v2.order.query, out_trade_no=out_trade_no)
    assert (queried["trade_state"], queried["out_trade_no"], queried["total_fee"]) == ("NOTPAY", out_trade_no, "880")
    assert _signed_by(queried, keys["apiv2_key"], "MD5")
    closed = await asyncio.to_thread(v2.order.close, out_trade_no)
    assert closed["result_code"] == "SUCCESS"
    assert (await asyncio.to_thread(v2.order.query, out_trade_no=out_trade_no))["trade_state"] == "CLOSED"
    with pytest.raises(WeChatPayException) as again:
        await asyncio.to_thread(v2.order.close, out_trade_no)
    assert again.value.errcode == "ORDERCLOSED"
    with pytest.raises(WeChatPayException) as unknown:
        await asyncio.to_thread(v2.order.query, out_trade_no="V_nobody_2")
    assert unknown.value.errcode == "ORDERNOTEXIST"


async def test_paid_order_query_shows_payment(client, v2, receiver):
    out_trade_no = "V" + secrets.token_hex(8)
    created = await _create(v2, receiver, out_trade_no, "v2_paid", total=1999)
    paid = await _pay(client, created["prepay_id"])
    queried = await asyncio.to_thread(v2.order.query, out_trade_no=out_trade_no)
    assert (queried["trade_state"], queried["transaction_id"], queried["cash_fee"]) == (
        "SUCCESS", paid["transaction_id"], "1999")
    with pytest.raises(WeChatPayException) as duplicate:
        await _create(v2, receiver, out_trade_no, "v2_paid", total=1999)
    assert duplicate.value.errcode == "ORDERPAID"


async def test_refund_notification_carries_encrypted_req_info(client, v2, keys, receiver):
    out_trade_no, key = "V" + secrets.token_hex(8), secrets.token_hex(4)
    receiver.script(key, (200, ACK))
    created = await _create(v2, receiver, out_trade_no, "v2_refund_pay", total=500)
    paid = await _pay(client, created["prepay_id"])
    refund = await asyncio.to_thread(
        v2.refund.apply, total_fee=500, refund_fee=200, out_refund_no="RV" + out_trade_no,
        out_trade_no=out_trade_no, notify_url=receiver.url(key),
    )
    assert refund["result_code"] == "SUCCESS" and refund["refund_fee"] == "200"
    assert _signed_by(refund, keys["apiv2_key"], "MD5")
    [received] = await receiver.wait_for(key, 1)
    info = v2.parse_refund_notify_result(received["body"])  # wechatpy decrypts req_info
    assert (info["refund_status"], info["out_refund_no"], info["refund_id"]) == (
        "SUCCESS", "RV" + out_trade_no, refund["refund_id"])
    assert (info["refund_fee"], info["total_fee"], info["transaction_id"]) == (200, 500, paid["transaction_id"])
    with pytest.raises(WeChatPayException) as too_much:
        await asyncio.to_thread(v2.refund.apply, total_fee=500, refund_fee=400, out_refund_no="RW" + out_trade_no,
                                out_trade_no=out_trade_no)
    assert too_much.value.errcode == "NOTENOUGH"


async def test_v2_api_error_fault(client, v2, receiver):
    await client.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["unifiedorder"]})
    with pytest.raises(WeChatPayException):
        await _create(v2, receiver, "V" + secrets.token_hex(8), "v2_fault")

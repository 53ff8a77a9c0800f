"""WeChatPayV2 against the sandbox over HTTP: unifiedorder and paySign, query, close, refunds, notifications, retries."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
from datetime import datetime, timezone

import httpx
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from app.payments import (
    AlreadyPaid,
    NotificationRejected,
    ProviderRejected,
    ProviderUnavailable,
    RefundNotFound,
    RefundRequest,
)
from app.payments.providers.apiv2_codec import parse_xml
from app.payments.providers.wechatpay_v2 import WeChatPayV2, time_expire

from .conftest import FixedCredentials, add_fault, pay

NOW = datetime.now


def _signed_xml(fields: dict[str, str], key: str, sign_type: str = "MD5") -> bytes:
    signer = calculate_signature_hmac if sign_type == "HMAC-SHA256" else calculate_signature
    fields = {**fields, "sign": signer(fields, key)}
    return ("<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>").encode()


@pytest.mark.parametrize("sign_type, signer", [("HMAC-SHA256", calculate_signature_hmac), ("MD5", calculate_signature)])
async def test_unifiedorder_gives_a_pay_sign_wechatpy_verifies(make_v2, payment, keys, sign_type, signer):
    params = await make_v2(sign_type=sign_type).create_payment(payment())
    rp = params.request_payment
    assert rp["package"] == f"prepay_id={params.prepay_id}" and rp["signType"] == sign_type
    unsigned = {"appId": keys["appid"], **{k: v for k, v in rp.items() if k != "paySign"}}
    assert rp["paySign"] == signer(unsigned, keys["apiv2_key"])


async def test_same_order_twice_gives_the_same_prepay(make_v2, payment):
    provider = make_v2()
    assert (await provider.create_payment(payment())).prepay_id == (await provider.create_payment(payment())).prepay_id


async def test_query_close_and_pay(make_v2, payment, control, out_trade_no):
    provider = make_v2()
    params = await provider.create_payment(payment(attach="v2-cart"))
    assert (await provider.query(out_trade_no)).trade_state == "NOTPAY"
    paid = await pay(control, params.prepay_id)
    state = await provider.query(out_trade_no)
    assert state.trade_state == "SUCCESS" and state.transaction_id == paid["transaction_id"]
    assert state.amount_total_fen == 990 and state.payer_openid == "o_test_openid"
    assert abs((state.success_time - NOW(timezone.utc)).total_seconds()) < 60
    with pytest.raises(AlreadyPaid):
        await provider.close(out_trade_no)
    with pytest.raises(AlreadyPaid):
        await provider.create_payment(payment(attach="v2-cart"))


async def test_close_twice_and_unknown_orders(make_v2, payment, out_trade_no):
    provider = make_v2()
    await provider.create_payment(payment())
    await provider.close(out_trade_no)
    await provider.close(out_trade_no)  # APIv2 answers ORDERCLOSED: fine for us
    assert (await provider.query(out_trade_no)).trade_state == "CLOSED"
    assert (await provider.query("V2_never_created")).trade_state == "NOT_FOUND"
    await provider.close("V2_never_created")


async def test_wrong_apiv2_key_is_refused_as_signerror(make_v2, credentials, payment):
    creds = dataclasses.replace(await credentials.get(), apiv2_key="0" * 32)
    with pytest.raises(ProviderRejected) as caught:
        await make_v2(FixedCredentials(creds)).create_payment(payment())
    assert caught.value.code == "SIGNERROR"


async def test_refund_and_its_refusals(make_v2, payment, control, out_trade_no):
    provider = make_v2()
    params = await provider.create_payment(payment())
    req = RefundRequest(out_trade_no=out_trade_no, out_refund_no="R" + out_trade_no, amount_fen=500, total_fen=990)
    with pytest.raises(ProviderRejected) as caught:
        await provider.refund(req)
    assert caught.value.code == "TRADE_STATE_ERROR"
    await pay(control, params.prepay_id)
    state = await provider.refund(req)
    assert state.status == "PROCESSING" and state.refund_id and state.amount_fen == 500
    with pytest.raises(ProviderRejected) as caught:
        await provider.refund(dataclasses.replace(req, out_refund_no="R2" + out_trade_no))
    assert caught.value.code == "NOTENOUGH"


async def test_refundquery_follows_a_refund_at_the_sandbox(make_v2, payment, control, out_trade_no):
    provider = make_v2()
    params = await provider.create_payment(payment())
    await pay(control, params.prepay_id)
    req = RefundRequest(out_trade_no=out_trade_no, out_refund_no="Q" + out_trade_no, amount_fen=400, total_fen=990)
    accepted = await provider.refund(req)
    states = [await provider.query_refund(req.out_refund_no)]
    while states[-1].status == "PROCESSING" and len(states) < 200:
        await asyncio.sleep(0.05)
        states.append(await provider.query_refund(req.out_refund_no))
    assert states[-1].status == "SUCCESS", states[-1]
    assert {s.refund_id for s in states} == {accepted.refund_id} and {s.amount_fen for s in states} == {400}
    with pytest.raises(RefundNotFound):
        await provider.query_refund("Q-NO-SUCH-REFUND")


async def test_system_error_is_retried_then_unavailable(make_v2, payment, control):
    await add_fault(control, kind="api_error", rate=1.0, apis=["unifiedorder"])
    with pytest.raises(ProviderUnavailable) as caught:
        await make_v2(attempts=3).create_payment(payment())
    assert caught.value.attempts == 3


async def test_half_the_calls_failing_is_absorbed_by_the_retries(make_v2, payment, control, out_trade_no):
    await add_fault(control, kind="api_error", rate=0.5, apis=["unifiedorder"])
    provider = make_v2(attempts=16, deadline_s=30.0)
    for i in range(10):
        assert (await provider.create_payment(payment(out_trade_no=f"{out_trade_no}_{i}"))).prepay_id


async def _play_back(credentials, handler, out_refund_no: str):
    """query_refund against WeChat's documented answers, played by `handler` (no network)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        return await WeChatPayV2("https://api.mch.example", credentials, http).query_refund(out_refund_no)


async def test_refundquery_maps_wechats_refund_status(credentials, keys):
    """REFUNDCLOSE (which the sandbox never produces): WeChat's documented answer is played back."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(parse_xml(request.content))
        fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": keys["appid"], "mch_id": keys["mchid"],
                  "nonce_str": "n1", "refund_count": "1", "out_refund_no_0": "R1", "refund_id_0": "50000001",
                  "refund_fee_0": "300", "refund_status_0": "REFUNDCLOSE"}
        return httpx.Response(200, content=_signed_xml(fields, keys["apiv2_key"], "HMAC-SHA256"))

    state = await _play_back(credentials, handler, "R1")
    assert state.status == "CLOSED" and state.refund_id == "50000001" and state.amount_fen == 300
    assert seen[0]["out_refund_no"] == "R1" and seen[0]["sign_type"] == "HMAC-SHA256"


async def test_refundquery_of_an_unknown_refund_and_an_unsigned_answer(credentials, keys):
    base = {"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "REFUNDNOTEXIST", "nonce_str": "n2"}
    good = _signed_xml(base, keys["apiv2_key"], "HMAC-SHA256")
    with pytest.raises(RefundNotFound):
        await _play_back(credentials, lambda r: httpx.Response(200, content=good), "R404")
    forged = _signed_xml(base, "f" * 32, "HMAC-SHA256")
    with pytest.raises(ProviderUnavailable) as caught:
        await _play_back(credentials, lambda r: httpx.Response(200, content=forged), "R404")
    assert "unverified" in caught.value.reason and caught.value.attempts == 1


async def test_time_expire_is_beijing_time():
    assert time_expire(datetime(2026, 11, 2, 16, 5, 9, tzinfo=timezone.utc)) == "20261103000509"


@pytest.mark.parametrize("sign_type", ["HMAC-SHA256", "MD5"])
async def test_real_payment_notification_is_verified(make_v2, payment, control, receiver, out_trade_no, sign_type):
    provider, key = make_v2(sign_type=sign_type), f"v2-{sign_type}-{out_trade_no}"
    params = await provider.create_payment(payment(key))
    paid = await pay(control, params.prepay_id)
    raw = (await receiver.wait_for(key))[0]["body"]
    parsed = await provider.parse_notification({}, raw, NOW(timezone.utc))
    assert parsed.event_type == "TRANSACTION.SUCCESS" and parsed.kind == "transaction"
    assert parsed.resource["out_trade_no"] == out_trade_no and parsed.id == paid["transaction_id"]
    assert parsed.resource["total_fee"] == "990"
    tampered = raw.replace(b"<total_fee>990</total_fee>", b"<total_fee>1</total_fee>")
    assert tampered != raw
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification({}, tampered, NOW(timezone.utc))
    assert caught.value.reason == "signature"
    fields = parse_xml(raw)
    resigned = _signed_xml({k: v for k, v in fields.items() if k != "sign"}, "0" * 32, fields.get("sign_type", "MD5"))
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification({}, resigned, NOW(timezone.utc))
    assert caught.value.reason == "signature"


async def test_real_refund_notification_decrypts(make_v2, payment, control, receiver, out_trade_no, keys):
    provider, key = make_v2(), "v2-refund-" + out_trade_no
    params = await provider.create_payment(payment())
    await pay(control, params.prepay_id)
    req = RefundRequest(out_trade_no=out_trade_no, out_refund_no="RN" + out_trade_no, amount_fen=990, total_fen=990,
                        notify_url=receiver.url(key))
    started = await provider.refund(req)
    raw = (await receiver.wait_for(key))[0]["body"]
    parsed = await provider.parse_notification({}, raw, NOW(timezone.utc))
    assert parsed.kind == "refund" and parsed.event_type == "REFUND.SUCCESS" and parsed.id == started.refund_id
    assert parsed.resource["out_refund_no"] == req.out_refund_no and parsed.resource["refund_fee"] == "990"
    # req_info encrypted with another key (plain cryptography, WeChat's AES-256-ECB rule) does not decrypt.
    other = hashlib.md5(b"another key").hexdigest().encode()
    padder = padding.PKCS7(128).padder()
    data = padder.update(b"<root><refund_id>1</refund_id></root>") + padder.finalize()
    enc = Cipher(algorithms.AES(other), modes.ECB()).encryptor()
    forged_info = base64.b64encode(enc.update(data) + enc.finalize()).decode()
    forged = raw.replace(parse_xml(raw)["req_info"].encode(), forged_info.encode())
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification({}, forged, NOW(timezone.utc))
    assert caught.value.reason == "decrypt"


@pytest.mark.parametrize("body", [
    b"not xml",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><sign>&a;</sign></xml>',
    b"<xml><a><b>nested</b></a></xml>",
])
async def test_malformed_or_dtd_carrying_notifications_are_refused(make_v2, body):
    with pytest.raises(NotificationRejected) as caught:
        await make_v2().parse_notification({}, body, NOW(timezone.utc))
    assert caught.value.reason == "malformed"

"""WeChatPayV3 against the sandbox over HTTP: prepay and paySign, query, close, refunds, signatures both ways."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.payments import (
    AlreadyPaid,
    ProviderRejected,
    ProviderUnavailable,
    RefundNotFound,
    RefundRequest,
)
from app.payments.providers.wechatpay_v3 import time_expire

from .conftest import FixedCredentials, pay


def _new_key_pems() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


async def test_create_payment_returns_prepay_and_a_pay_sign_the_merchant_public_key_verifies(make_v3, payment, keys):
    params = await make_v3().create_payment(payment())
    rp = params.request_payment
    assert set(rp) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert rp["package"] == f"prepay_id={params.prepay_id}" and rp["signType"] == "RSA"
    assert rp["timeStamp"].isdigit() and all(isinstance(v, str) for v in rp.values())
    public_key = serialization.load_pem_public_key(keys["merchant"]["public_key_pem"].encode())
    message = f"{keys['appid']}\n{rp['timeStamp']}\n{rp['nonceStr']}\n{rp['package']}\n".encode()
    public_key.verify(base64.b64decode(rp["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())


async def test_create_payment_twice_with_the_same_request_gives_the_same_prepay(make_v3, payment):
    provider, req = make_v3(), payment(attach="order:42")
    first, second = await provider.create_payment(req), await provider.create_payment(req)
    assert first.prepay_id == second.prepay_id


async def test_reusing_an_out_trade_no_with_another_body_is_rejected(make_v3, payment):
    provider = make_v3()
    await provider.create_payment(payment())
    with pytest.raises(ProviderRejected) as caught:
        await provider.create_payment(payment(amount_fen=991))
    assert caught.value.code == "INVALID_REQUEST" and caught.value.status == 400


async def test_request_signed_with_another_key_is_refused_with_sign_error(make_v3, credentials, payment):
    private_pem, _ = _new_key_pems()
    creds = dataclasses.replace(await credentials.get(), merchant_private_key_pem=private_pem)
    with pytest.raises(ProviderRejected) as caught:
        await make_v3(FixedCredentials(creds)).create_payment(payment())
    assert caught.value.code == "SIGN_ERROR" and caught.value.status == 401


async def test_answer_that_does_not_verify_is_unavailable_and_not_retried(make_v3, credentials, payment):
    _, public_pem = _new_key_pems()
    creds = dataclasses.replace(await credentials.get(), platform_public_key_pem=public_pem)
    with pytest.raises(ProviderUnavailable) as caught:
        await make_v3(FixedCredentials(creds), attempts=5).create_payment(payment())
    assert "unverified" in caught.value.reason and caught.value.attempts == 1


async def test_answer_with_another_serial_is_not_believed(make_v3, credentials, out_trade_no):
    creds = dataclasses.replace(await credentials.get(), platform_public_key_id="PUB_KEY_ID_OTHER")
    with pytest.raises(ProviderUnavailable) as caught:
        await make_v3(FixedCredentials(creds)).query(out_trade_no)
    assert "serial" in caught.value.reason


async def test_query_follows_the_order_from_notpay_to_success(make_v3, payment, control, out_trade_no):
    provider = make_v3()
    params = await provider.create_payment(payment(attach="a1"))
    state = await provider.query(out_trade_no)
    assert state.trade_state == "NOTPAY" and not state.paid and state.transaction_id is None
    paid = await pay(control, params.prepay_id)
    state = await provider.query(out_trade_no)
    assert state.trade_state == "SUCCESS" and state.paid
    assert state.transaction_id == paid["transaction_id"]
    assert state.amount_total_fen == 990 and state.payer_openid == "o_test_openid"
    assert state.success_time.tzinfo is not None
    assert abs((state.success_time - datetime.now(timezone.utc)).total_seconds()) < 60
    assert state.raw["attach"] == "a1"


async def test_query_of_an_unknown_order_is_not_found(make_v3):
    state = await make_v3().query("NOPE_never_created")
    assert state.trade_state == "NOT_FOUND"


@pytest.mark.parametrize("suffix", ["*_-x", "|x"])
async def test_out_trade_no_with_url_special_characters_is_signed_as_sent(make_v3, payment, out_trade_no, suffix):
    provider, special = make_v3(), out_trade_no[:20] + suffix
    await provider.create_payment(payment(out_trade_no=special))
    assert (await provider.query(special)).trade_state == "NOTPAY"
    await provider.close(special)
    assert (await provider.query(special)).trade_state == "CLOSED"


async def test_close_is_idempotent_and_a_closed_prepay_cannot_be_paid(make_v3, payment, control, out_trade_no):
    provider = make_v3()
    params = await provider.create_payment(payment())
    await provider.close(out_trade_no)
    await provider.close(out_trade_no)
    assert (await provider.query(out_trade_no)).trade_state == "CLOSED"
    refused = await control.post("/control/pay", json={"prepay_id": params.prepay_id, "result": "SUCCESS"})
    assert refused.status_code == 409
    with pytest.raises(ProviderRejected) as caught:
        await provider.create_payment(payment())
    assert caught.value.code == "ORDER_CLOSED"


async def test_close_of_a_paid_order_raises_already_paid(make_v3, payment, control, out_trade_no):
    provider = make_v3()
    params = await provider.create_payment(payment())
    await pay(control, params.prepay_id)
    with pytest.raises(AlreadyPaid):
        await provider.close(out_trade_no)
    with pytest.raises(AlreadyPaid):
        await provider.create_payment(payment())


async def test_close_of_an_order_wechat_never_saw_is_fine(make_v3):
    await make_v3().close("NEVER_created_1")


async def test_time_expire_is_rfc3339_in_beijing_time():
    moment = datetime(2026, 11, 2, 2, 15, 30, 123456, tzinfo=timezone.utc)
    assert time_expire(moment) == "2026-11-02T10:15:30+08:00"
    with pytest.raises(ValueError):
        time_expire(moment.replace(tzinfo=None))


async def test_refund_goes_from_processing_to_success(make_v3, payment, control, out_trade_no, receiver):
    provider = make_v3()
    params = await provider.create_payment(payment())
    await pay(control, params.prepay_id)
    req = RefundRequest(out_trade_no=out_trade_no, out_refund_no="R" + out_trade_no, amount_fen=300, total_fen=990,
                        reason="不想要了", notify_url=receiver.url("refund"))
    started = await provider.refund(req)
    assert started.status == "PROCESSING" and started.refund_id and started.amount_fen == 300
    assert (await provider.refund(req)).refund_id == started.refund_id  # a retry answers the first refund
    for _ in range(200):
        state = await provider.query_refund(req.out_refund_no)
        if state.status == "SUCCESS":
            break
        await asyncio.sleep(0.01)
    assert state.status == "SUCCESS" and state.refund_id == started.refund_id
    assert state.out_refund_no == req.out_refund_no
    assert (await provider.query(out_trade_no)).trade_state == "REFUND"


async def test_refund_refusals_are_rejections(make_v3, payment, control, out_trade_no):
    provider = make_v3()
    params = await provider.create_payment(payment())
    unpaid = RefundRequest(out_trade_no=out_trade_no, out_refund_no="R1" + out_trade_no, amount_fen=100, total_fen=990)
    with pytest.raises(ProviderRejected) as caught:
        await provider.refund(unpaid)
    assert caught.value.code == "INVALID_REQUEST"
    await pay(control, params.prepay_id)
    too_much = dataclasses.replace(unpaid, out_refund_no="R2" + out_trade_no, amount_fen=991)
    with pytest.raises(ProviderRejected) as caught:
        await provider.refund(too_much)
    assert caught.value.code in ("NOT_ENOUGH", "PARAM_ERROR")
    with pytest.raises(RefundNotFound):
        await provider.query_refund("R_never_" + out_trade_no)


async def test_expires_at_reaches_wechat_as_time_expire(make_v3, payment, control):
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3)
    params = await make_v3().create_payment(payment(expires_at=soon))
    await asyncio.sleep((soon - datetime.now(timezone.utc)).total_seconds() + 0.3)
    refused = await control.post("/control/pay", json={"prepay_id": params.prepay_id, "result": "SUCCESS"})
    assert refused.status_code == 409 and refused.json()["code"] == "ORDER_EXPIRED"

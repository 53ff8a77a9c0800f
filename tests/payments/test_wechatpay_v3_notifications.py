"""APIv3 notifications: real ones from the sandbox parsed, each rejection reason, and one built independently."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.payments import NotificationRejected, RefundRequest

from .conftest import pay


def _sign(keys: dict, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """WeChat's notification headers, signed with the platform PRIVATE key in plain `cryptography`."""
    key = serialization.load_pem_private_key(keys["platform"]["private_key_pem"].encode(), None)
    ts, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(16)
    signature = key.sign(f"{ts}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": keys["platform"]["public_key_id"],
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def _seal(keys: dict, resource: dict, event_type: str = "TRANSACTION.SUCCESS", original_type: str = "transaction") -> bytes:
    """A notification body encrypted with AESGCM under the APIv3 key, as WeChat documents it."""
    nonce = secrets.token_hex(6)  # 12 characters
    sealed = AESGCM(keys["apiv3_key"].encode()).encrypt(nonce.encode(), json.dumps(resource).encode(), original_type.encode())
    return json.dumps({
        "id": str(uuid.uuid4()), "create_time": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": base64.b64encode(sealed).decode(), "associated_data": original_type, "nonce": nonce},
    }).encode()


@pytest.fixture
async def delivered(make_v3, payment, control, receiver, out_trade_no):
    """A real TRANSACTION.SUCCESS the sandbox delivered to our receiver: (headers, raw body, transaction_id)."""
    key = "v3-" + out_trade_no
    params = await make_v3().create_payment(payment(key, attach="cart-7"))
    paid = await pay(control, params.prepay_id)
    notification = (await receiver.wait_for(key))[0]
    return notification["headers"], notification["body"], paid["transaction_id"]


async def test_real_notification_is_verified_and_decrypted(make_v3, delivered, out_trade_no, keys):
    headers, body, transaction_id = delivered
    parsed = await make_v3().parse_notification(headers, body, datetime.now(timezone.utc))
    assert parsed.event_type == "TRANSACTION.SUCCESS" and parsed.kind == "transaction"
    assert parsed.id == json.loads(body)["id"]
    tx = parsed.resource
    assert tx["out_trade_no"] == out_trade_no and tx["transaction_id"] == transaction_id
    assert tx["trade_state"] == "SUCCESS" and tx["amount"]["total"] == 990 and tx["amount"]["currency"] == "CNY"
    assert tx["mchid"] == keys["mchid"] and tx["appid"] == keys["appid"] and tx["attach"] == "cart-7"


async def test_logged_notification_parses_the_same(make_v3, delivered, control, out_trade_no):
    log = (await control.get("/control/notifications", params={"out_trade_no": out_trade_no})).json()["items"]
    request = log[0]["request"]
    parsed = await make_v3().parse_notification(request["headers"], request["body"].encode(), datetime.now(timezone.utc))
    assert parsed.resource["out_trade_no"] == out_trade_no


async def test_tampered_body_fails_the_signature(make_v3, delivered):
    headers, body, _ = delivered
    tampered = body.replace(b'"summary":"', b'"summary":"x')
    assert tampered != body
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(headers, tampered, datetime.now(timezone.utc))
    assert caught.value.reason == "signature"


async def test_missing_signature_headers_fail_the_signature(make_v3, delivered):
    headers, body, _ = delivered
    stripped = {k: v for k, v in headers.items() if k.lower() != "wechatpay-signature"}
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(stripped, body, datetime.now(timezone.utc))
    assert caught.value.reason == "signature"


async def test_wrong_serial_is_rejected(make_v3, delivered):
    headers, body, _ = delivered
    headers = {**{k: v for k, v in headers.items() if k.lower() != "wechatpay-serial"}, "Wechatpay-Serial": "PUB_KEY_ID_0000"}
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(headers, body, datetime.now(timezone.utc))
    assert caught.value.reason == "serial"


@pytest.mark.parametrize("shift", [timedelta(minutes=5, seconds=30), -timedelta(minutes=5, seconds=30)])
async def test_timestamp_more_than_five_minutes_off_is_rejected(make_v3, delivered, shift):
    headers, body, _ = delivered
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(headers, body, datetime.now(timezone.utc) + shift)
    assert caught.value.reason == "timestamp"


async def test_timestamp_within_five_minutes_is_accepted(make_v3, delivered):
    headers, body, _ = delivered
    await make_v3().parse_notification(headers, body, datetime.now(timezone.utc) + timedelta(minutes=4))


async def test_tampered_ciphertext_resigned_fails_decryption(make_v3, delivered, keys):
    _, body, _ = delivered
    envelope = json.loads(body)
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[0] ^= 0x01
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    forged = json.dumps(envelope).encode()
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(_sign(keys, forged), forged, datetime.now(timezone.utc))
    assert caught.value.reason == "decrypt"


async def test_signed_body_that_is_not_a_notification_is_malformed(make_v3, keys):
    body = b'{"id": "x", "event_type": "TRANSACTION.SUCCESS"}'
    with pytest.raises(NotificationRejected) as caught:
        await make_v3().parse_notification(_sign(keys, body), body, datetime.now(timezone.utc))
    assert caught.value.reason == "malformed"


async def test_notification_built_independently_is_accepted(make_v3, keys):
    resource = {"mchid": keys["mchid"], "appid": keys["appid"], "out_trade_no": "INDEP_123456",
                "transaction_id": "4200000000000000000000000001", "trade_state": "SUCCESS",
                "amount": {"total": 1, "currency": "CNY"}, "payer": {"openid": "o_indep"}}
    body = _seal(keys, resource)
    parsed = await make_v3().parse_notification(_sign(keys, body), body, datetime.now(timezone.utc))
    assert parsed.resource == resource and parsed.kind == "transaction"


async def test_real_refund_notification_is_parsed(make_v3, payment, control, receiver, out_trade_no):
    provider, key = make_v3(), "v3-refund-" + out_trade_no
    params = await provider.create_payment(payment())
    await pay(control, params.prepay_id)
    req = RefundRequest(out_trade_no=out_trade_no, out_refund_no="RF" + out_trade_no, amount_fen=990,
                        total_fen=990, notify_url=receiver.url(key))
    await provider.refund(req)
    notification = (await receiver.wait_for(key))[0]
    parsed = await provider.parse_notification(notification["headers"], notification["body"], datetime.now(timezone.utc))
    assert parsed.event_type == "REFUND.SUCCESS" and parsed.kind == "refund"
    assert parsed.resource["out_refund_no"] == req.out_refund_no and parsed.resource["refund_status"] == "SUCCESS"
    assert parsed.resource["amount"]["refund"] == 990


async def test_wechatpayv3_agrees_on_pay_sign_and_notification(make_v3, payment, control, receiver, keys, out_trade_no):
    """wechatpayv3, an SDK we did not write, computes the same paySign (PKCS#1 v1.5 is deterministic) and
    decrypts the notification we accepted to the same resource."""
    from wechatpayv3.async_ import AsyncWeChatPay
    from wechatpayv3.async_.type import WeChatPayType

    sdk = AsyncWeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG, mchid=keys["mchid"], private_key=keys["merchant"]["private_key_pem"],
        cert_serial_no=keys["merchant"]["serial_no"], appid=keys["appid"], apiv3_key=keys["apiv3_key"],
        public_key=keys["platform"]["public_key_pem"], public_key_id=keys["platform"]["public_key_id"],
    )
    key = "v3-sdk-" + out_trade_no
    params = await make_v3().create_payment(payment(key))
    rp = params.request_payment
    assert sdk.sign([keys["appid"], rp["timeStamp"], rp["nonceStr"], rp["package"]]) == rp["paySign"]
    await pay(control, params.prepay_id)
    delivered = (await receiver.wait_for(key))[0]
    ours = await make_v3().parse_notification(delivered["headers"], delivered["body"], datetime.now(timezone.utc))
    theirs = sdk.callback(delivered["headers"], delivered["body"].decode())
    assert theirs and theirs["resource"] == ours.resource and theirs["id"] == ours.id

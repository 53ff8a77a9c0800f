"""Notifications that must change nothing, and ones built by an independent implementation (DESIGN.md §4).

The good and bad notifications here are made with plain `cryptography` in tests/notify/helpers.py.
"""

from __future__ import annotations

import base64
import json
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import pytest

from tests.notify.helpers import (
    admin_order, notifications_log, notify, refused, rows, sandbox_keys, seal, sign, transaction, wechat_order,
)

UNTOUCHED = {"payments": 0, "outbox": 0, "paid_events": 0, "transitions": [(None, "PAYING", "one_tap")],
             "flags": []}


async def _paying(client):
    made = await wechat_order(client)
    return made["order"], await sandbox_keys(client)


async def _refused(client, order, body, headers, status, verdict):
    """Refused, logged, and nothing changed: still PAYING, no transition, payment, flag or outbox event."""
    await refused(client, body, headers, status, verdict)
    assert (await admin_order(client, order["id"]))["status"] == "PAYING"
    assert await rows(order["id"]) == UNTOUCHED


async def test_independently_built_notification_is_accepted(client):
    order, keys = await _paying(client)
    resource = transaction(keys, order)
    body = seal(keys, resource)
    answer = await notify(client, body, sign(keys, body))
    assert answer.status_code == 204 and answer.content == b""
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PAID" and detail["transaction_id"] == resource["transaction_id"]


async def test_replayed_after_the_window_is_refused(client):
    order, keys = await _paying(client)
    body = seal(keys, transaction(keys, order))
    await _refused(client, order, body, sign(keys, body, timestamp=int(time.time()) - 360), 401,
                   "rejected_timestamp")


async def test_forged_signature_is_refused(client):
    order, keys = await _paying(client)
    body = seal(keys, transaction(keys, order))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    await _refused(client, order, body, sign(keys, body, private_key_pem=forger), 401, "rejected_signature")


async def test_body_changed_after_signing_is_refused(client):
    order, keys = await _paying(client)
    body = seal(keys, transaction(keys, order))
    headers = sign(keys, body)
    await _refused(client, order, body.replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS "), headers, 401,
                   "rejected_signature")


async def test_wrong_serial_is_refused(client):
    order, keys = await _paying(client)
    body = seal(keys, transaction(keys, order))
    await _refused(client, order, body, sign(keys, body, serial="PUB_KEY_ID_0000000000000000000000000000"),
                   401, "rejected_serial")


async def test_tampered_ciphertext_is_refused(client):
    order, keys = await _paying(client)
    envelope = json.loads(seal(keys, transaction(keys, order)))
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[3] ^= 0x01
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    body = json.dumps(envelope)  # signed after tampering: only the AEAD tag can tell
    await _refused(client, order, body, sign(keys, body), 401, "rejected_decrypt")


async def test_malformed_body_is_400(client):
    order, keys = await _paying(client)
    body = '{"id": "x", "event_type": "TRANSACTION.SUCCESS"}'
    await _refused(client, order, body, sign(keys, body), 400, "rejected_malformed")


async def test_wrong_amount_is_flagged_and_never_paid(client):
    order, keys = await _paying(client)
    resource = transaction(keys, order, amount={"total": order["payable_fen"] - 1, "currency": "CNY"})
    body = seal(keys, resource)
    answer = await notify(client, body, sign(keys, body))
    assert answer.status_code == 204
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PAYING" and detail["transaction_id"] is None
    assert [f["kind"] for f in detail["flags"]] == ["amount_mismatch"]
    assert detail["flags"][0]["detail"]["amount_fen"] == order["payable_fen"] - 1
    assert (await rows(order["id"]))["payments"] == 0
    assert (await notifications_log(client, order["out_trade_no"]))[0]["verdict"] == "flagged"


@pytest.mark.parametrize("field, value, flag", [
    ("mchid", "1900000000", "account_mismatch"),
    ("appid", "wx0000000000000000", "account_mismatch"),
    ("amount", "USD", "amount_mismatch"),
])
async def test_transaction_of_another_account_or_currency_is_flagged_and_never_paid(client, field, value, flag):
    order, keys = await _paying(client)
    resource = transaction(keys, order)
    if field == "amount":
        resource["amount"] = {**resource["amount"], "currency": value, "payer_currency": value}
    else:
        resource[field] = value
    body = seal(keys, resource)
    answer = await notify(client, body, sign(keys, body))
    assert answer.status_code == 204, answer.text  # recorded as flagged: WeChat's retry would not help
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PAYING" and detail["transaction_id"] is None
    assert [f["kind"] for f in detail["flags"]] == [flag]
    assert (await rows(order["id"])) == {**UNTOUCHED, "flags": [flag]}
    [entry] = await notifications_log(client, order["out_trade_no"])
    assert entry["verdict"] == "flagged" and entry["answer"]["status"] == 204

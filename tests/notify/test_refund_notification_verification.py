"""Refund notifications that must change nothing (DESIGN.md §4, §6): refused before verification, for a refund we
do not know, or from another merchant; the genuine one still finishes the refund afterwards.

The notifications are made with plain `cryptography` in tests/notify/helpers.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.refunds.models import Refund
from tests.notify.helpers import (
    admin_order, faults, notifications_log, notify, refund_resource, refused, rows, sandbox_keys, seal, sign,
)
from tests.refunds.helpers import paid_wechat_order, refund

REFUND_NOTIFY = "/notify/wechatpay/refund"


@contextlib.asynccontextmanager
async def _refunding(client):
    """A REFUNDING order with one PROCESSING refund whose genuine notification WeChat Pay cannot deliver (dropped)
    and which the refund jobs leave alone: (order, refund row, sandbox keys, rows before)."""
    keys = await sandbox_keys(client)
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        created = (await refund(client, order["id"], 500)).json()
        await Refund.filter(id=created["id"]).update(
            next_query_at=datetime.now(timezone.utc) + timedelta(hours=1))
        yield order, await Refund.get(id=created["id"]), keys, await rows(order["id"])


async def _unchanged(client, order: dict, row: Refund, before: dict) -> None:
    assert (await Refund.get(id=row.id)).status == "PROCESSING"
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "REFUNDING" and detail["refunded_fen"] == row.amount_fen
    assert await rows(order["id"]) == before


def _sealed(keys: dict, resource: dict) -> str:
    return seal(keys, resource, event_type="REFUND.SUCCESS", original_type="refund")


async def test_refund_notification_failing_verification_is_refused_and_changes_nothing(client):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    async with _refunding(client) as (order, row, keys, before):
        body = _sealed(keys, refund_resource(keys, order, row))
        envelope = json.loads(body)
        sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
        sealed[3] ^= 0x01
        envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
        tampered = json.dumps(envelope)  # signed after tampering: only the AEAD tag can tell
        malformed = '{"id": "x", "event_type": "REFUND.SUCCESS"}'
        for sent, headers, status, verdict in [
            (body, sign(keys, body, private_key_pem=forger), 401, "rejected_signature"),
            (body, sign(keys, body, timestamp=int(time.time()) - 360), 401, "rejected_timestamp"),
            (body, sign(keys, body, serial="PUB_KEY_ID_0000000000000000000000000000"), 401, "rejected_serial"),
            (tampered, sign(keys, tampered), 401, "rejected_decrypt"),
            (malformed, sign(keys, malformed), 400, "rejected_malformed"),
        ]:
            await refused(client, sent, headers, status, verdict, path=REFUND_NOTIFY)
            await _unchanged(client, order, row, before)
        # The genuine notification, delivered after all that, finishes the refund.
        assert (await notify(client, body, sign(keys, body), path=REFUND_NOTIFY)).status_code == 204
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PARTIALLY_REFUNDED" and detail["transitions"][-1]["cause"] == "notification"


async def test_refund_notification_for_an_unknown_refund_is_404_fail(client):
    async with _refunding(client) as (order, row, keys, before):
        body = _sealed(keys, refund_resource(keys, order, row, out_refund_no="RFNOSUCHREFUND0000000000000000"))
        answer = await notify(client, body, sign(keys, body), path=REFUND_NOTIFY)
        assert answer.status_code == 404 and answer.json()["code"] == "FAIL", answer.text
        await _unchanged(client, order, row, before)
    [entry] = [e for e in await notifications_log(client, order["out_trade_no"]) if e["body"] == body]
    assert entry["verdict"] == "unknown_refund" and entry["answer"]["status"] == 404


async def test_refund_notification_of_another_merchant_is_flagged_and_not_applied(client):
    async with _refunding(client) as (order, row, keys, before):
        body = _sealed(keys, refund_resource(keys, order, row, mchid="1900000000"))
        answer = await notify(client, body, sign(keys, body), path=REFUND_NOTIFY)
        assert answer.status_code == 204, answer.text  # recorded as flagged: WeChat's retry would not help
        await _unchanged(client, order, row, {**before, "flags": ["account_mismatch"]})
    [entry] = [e for e in await notifications_log(client, order["out_trade_no"]) if e["body"] == body]
    assert entry["verdict"] == "flagged" and entry["endpoint"] == REFUND_NOTIFY


async def test_a_verified_refund_notification_without_out_refund_no_is_malformed_and_logged_with_its_order(client):
    async with _refunding(client) as (order, row, keys, before):
        resource = refund_resource(keys, order, row)
        del resource["out_refund_no"]
        body = _sealed(keys, resource)
        answer = await notify(client, body, sign(keys, body), path=REFUND_NOTIFY)
        assert answer.status_code == 400 and answer.json()["code"] == "FAIL", answer.text
        await _unchanged(client, order, row, before)
    # Its signature held, so the log keeps it as WeChat's own: whole, under its order and event type.
    [entry] = [e for e in await notifications_log(client, order["out_trade_no"]) if e["body"] == body]
    assert (entry["verdict"], entry["event_type"], entry["body_truncated"]) == (
        "rejected_malformed", "REFUND.SUCCESS", False)

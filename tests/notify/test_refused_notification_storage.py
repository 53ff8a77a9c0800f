"""What a refused notification can make us store (issue 13): its headers and the first 4 KiB of its body with its
size, and from one source at most REFUSED_PER_SOURCE a minute; verified notifications are kept whole."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.notify.journal import REFUSED_BODY_PREFIX, REFUSED_PER_SOURCE
from tests.notify.helpers import (
    admin_order, notifications_log, notify, sandbox_keys, seal, sign, transaction, wechat_order,
)
from tests.servers import client_from, other_loopback_address


@pytest.fixture(scope="module")
def forger() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _forged(keys: dict, forger: str, marker: str, size: int = 200) -> tuple[str, dict[str, str]]:
    """A notification body of exactly `size` bytes carrying `marker`, signed with a key that is not WeChat's."""
    head = json.dumps({"id": marker, "event_type": "TRANSACTION.SUCCESS", "padding": ""})[:-2]
    body = head + "x" * (size - len(head) - 2) + '"}'
    assert len(body.encode()) == size
    return body, sign(keys, body, private_key_pem=forger)


async def _entries(client, marker: str, verdict: str = "rejected_signature") -> list[dict]:
    return [e for e in await notifications_log(client, verdict=verdict) if marker in e["body"]]


async def test_a_huge_forged_body_is_stored_as_its_first_4_kib_and_its_size(client, forger):
    keys = await sandbox_keys(client)
    marker = uuid.uuid4().hex
    body, headers = _forged(keys, forger, marker, size=900 * 1024)
    assert (await notify(client, body, headers)).status_code == 401
    [entry] = await _entries(client, marker)
    assert entry["body"] == body[:REFUSED_BODY_PREFIX] and len(entry["body"]) == 4096
    assert entry["body_size"] == 900 * 1024 and entry["body_truncated"] is True
    assert entry["headers"]["wechatpay-signature"] == headers["Wechatpay-Signature"]  # headers kept whole


async def test_a_verified_notification_is_kept_whole_however_long(client):
    made = await wechat_order(client)
    keys = await sandbox_keys(client)
    body = seal(keys, transaction(keys, made["order"], attach="a" * 6000))
    assert len(body.encode()) > 2 * REFUSED_BODY_PREFIX
    assert (await notify(client, body, sign(keys, body))).status_code == 204
    [entry] = await notifications_log(client, made["order"]["out_trade_no"])
    assert entry["verdict"] == "paid"
    assert entry["body"] == body and entry["body_size"] == len(body.encode()) and entry["body_truncated"] is False


async def test_a_nul_in_a_refused_body_is_stored_replaced_not_lost(client):
    marker = uuid.uuid4().hex
    body = f'{{"id":"{marker}","resource":"\x00"}}'.encode()
    response = await client.post("/notify/wechatpay", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401  # unsigned (DESIGN §4: signature fails → 401 FAIL), and still kept
    [entry] = [e for e in await notifications_log(client) if marker in e["body"]]
    assert entry["body"] == body.decode().replace("\x00", "\ufffd") and entry["body_size"] == len(body)


async def test_a_burst_of_refused_notifications_from_one_source_stores_at_most_its_allowance(client, server, forger):
    keys = await sandbox_keys(client)
    marker, source, extra = uuid.uuid4().hex, other_loopback_address(), 15
    since = len(server.logs.lines)
    async with client_from(server.base_url, source, timeout=30.0) as attacker:
        forged = [_forged(keys, forger, f"{marker}-{i}") for i in range(REFUSED_PER_SOURCE + extra)]
        answers = await asyncio.gather(*(notify(attacker, body, headers) for body, headers in forged))
        assert [a.status_code for a in answers] == [401] * len(forged)  # every one is still answered
        stored = await _entries(client, marker)
        assert len(stored) == REFUSED_PER_SOURCE

        # What was not stored is counted, in a line per order of magnitude rather than one per delivery.
        dropped = [json.loads(line) for line in server.logs.lines[since:] if "refused notifications not stored" in line]
        assert [(d["source"], d["dropped"]) for d in dropped] == [(source, 1), (source, 10)]

        # The allowance is for refused notifications only: WeChat's own, from the same address, are kept.
        made = await wechat_order(client)
        body = seal(keys, transaction(keys, made["order"]))
        assert (await notify(attacker, body, sign(keys, body))).status_code == 204
        assert (await admin_order(client, made["order"]["id"]))["status"] == "PAID"
        [entry] = await notifications_log(client, made["order"]["out_trade_no"])
        assert entry["body"] == body

    # And another source's refused notifications are still stored.
    other, headers = _forged(keys, forger, f"{marker}-other")
    assert (await notify(client, other, headers)).status_code == 401
    assert len(await _entries(client, f"{marker}-other")) == 1

"""WeChat Pay orders, payments and hand-made notifications for the payment-lifecycle tests.

Notifications are built here with plain `cryptography` (AES-256-GCM with the APIv3 key, SHA256-RSA with the
platform private key), independently of both the sandbox's and the BFF's code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
import uuid

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.checkout.helpers import items, one_tap, product, shopper
from tests.factories import operator_headers

SANDBOX = "/sandbox/wechat"


async def wechat_order(client: httpx.AsyncClient, *, price_fen: int = 1200, quantity: int = 1) -> dict:
    """A PAYING WeChat Pay order: `who`, `order`, `prepay_id`."""
    tea = await product(client, price_fen=price_fen, stock=100)
    who = await shopper(client)
    response = await one_tap(client, who, {"items": items((tea, quantity)), "payment_method": "wechatpay"})
    assert response.status_code == 201, response.text
    created = response.json()
    prepay_id = created["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
    return {"who": who, "order": created["order"], "prepay_id": prepay_id, "product": tea}


async def pay(client: httpx.AsyncClient, prepay_id: str, *, force: bool = False) -> dict:
    response = await client.post(f"{SANDBOX}/control/pay",
                                 json={"prepay_id": prepay_id, "result": "SUCCESS", "force": force})
    assert response.status_code == 200, response.text
    return response.json()


async def admin_order(client: httpx.AsyncClient, order_id: str) -> dict:
    response = await client.get(f"/admin/v1/orders/{order_id}", headers=await operator_headers(client, "analyst"))
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_status(client: httpx.AsyncClient, order_id: str, status: str, timeout_s: float = 10.0) -> dict:
    """Poll the operators' view of the order until it reaches `status`."""
    deadline = time.monotonic() + timeout_s
    while True:
        detail = await admin_order(client, order_id)
        if detail["status"] == status:
            return detail
        assert time.monotonic() < deadline, f"order {order_id} still {detail['status']}, not {status}"
        await asyncio.sleep(0.05)


async def deliveries(client: httpx.AsyncClient, out_trade_no: str, timeout_s: float = 5.0,
                     event_type: str | None = None) -> list[dict]:
    """The sandbox's delivery log for the order, once at least one attempt has an answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = (await client.get(f"{SANDBOX}/control/notifications",
                                params={"out_trade_no": out_trade_no})).json()["items"]
        log = [d for d in log if event_type is None or d["event_type"] == event_type]
        if any(d["response"] for d in log):
            return log
        assert time.monotonic() < deadline, f"no answered notification for {out_trade_no}"
        await asyncio.sleep(0.05)


async def sandbox_keys(client: httpx.AsyncClient) -> dict:
    return (await client.get(f"{SANDBOX}/control/keys")).json()


def transaction(keys: dict, order: dict, **overrides) -> dict:
    """A TRANSACTION.SUCCESS resource for `order`, as WeChat Pay writes it."""
    resource = {
        "appid": keys["appid"], "mchid": keys["mchid"], "out_trade_no": order["out_trade_no"],
        "transaction_id": "42" + secrets.token_hex(13)[:26], "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
        "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
        "payer": {"openid": "o" + secrets.token_hex(13)},
        "amount": {"total": order["payable_fen"], "payer_total": order["payable_fen"], "currency": "CNY",
                   "payer_currency": "CNY"},
    }
    resource.update(overrides)
    return resource


def refund_resource(keys: dict, order: dict, refund, **overrides) -> dict:
    """A REFUND.SUCCESS resource for `refund` (a Refund row) of `order`, as WeChat Pay writes it."""
    resource = {
        "mchid": keys["mchid"], "out_trade_no": order["out_trade_no"], "transaction_id": "42" + "0" * 26,
        "out_refund_no": refund.out_refund_no, "refund_id": "50" + secrets.token_hex(14)[:27],
        "refund_status": "SUCCESS", "user_received_account": "支付用户零钱",
        "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
        "amount": {"total": order["payable_fen"], "refund": refund.amount_fen, "payer_total": order["payable_fen"],
                   "payer_refund": refund.amount_fen},
    }
    resource.update(overrides)
    return resource


def seal(keys: dict, plaintext: dict, *, event_type: str = "TRANSACTION.SUCCESS",
         original_type: str = "transaction") -> str:
    """The notification body: `resource` sealed with AEAD_AES_256_GCM under the APIv3 key."""
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(keys["apiv3_key"].encode()).encrypt(
        nonce.encode(), json.dumps(plaintext, ensure_ascii=False).encode(), original_type.encode())
    return json.dumps({
        "id": str(uuid.uuid4()), "create_time": "2026-11-02T10:00:00+08:00", "resource_type": "encrypt-resource",
        "event_type": event_type, "summary": "支付成功",
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": original_type,
                     "nonce": nonce},
    }, ensure_ascii=False, separators=(",", ":"))


def sign(keys: dict, body: str, *, timestamp: int | None = None, serial: str | None = None,
         private_key_pem: str | None = None) -> dict[str, str]:
    """Wechatpay-* headers: SHA256-RSA2048 over `timestamp\\nnonce\\nbody\\n` with the platform key."""
    key = serialization.load_pem_private_key((private_key_pem or keys["platform"]["private_key_pem"]).encode(),
                                             password=None)
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(16)
    signature = key.sign(f"{stamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"Content-Type": "application/json", "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": serial or keys["platform"]["public_key_id"],
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}


async def notify(client: httpx.AsyncClient, body: str, headers: dict[str, str],
                 path: str = "/notify/wechatpay") -> httpx.Response:
    return await client.post(path, content=body.encode(), headers=headers)


async def notifications_log(client: httpx.AsyncClient, out_trade_no: str | None = None,
                            role: str = "analyst", verdict: str | None = None) -> list[dict]:
    params = {"out_trade_no": out_trade_no} if out_trade_no else {}
    if verdict:
        params["verdict"] = verdict
    response = await client.get("/admin/v1/notifications", params={**params, "limit": 100},
                                headers=await operator_headers(client, role))
    assert response.status_code == 200, response.text
    return response.json()["items"]


class faults:
    """`async with faults(client, {...}, ...)`: sandbox faults for the block, cleared after it."""

    def __init__(self, client: httpx.AsyncClient, *specs: dict) -> None:
        self.client, self.specs = client, specs

    async def __aenter__(self):
        for spec in self.specs:
            response = await self.client.post(f"{SANDBOX}/control/faults", json=spec)
            assert response.status_code == 201, response.text
        return self

    async def __aexit__(self, *exc) -> None:
        assert (await self.client.delete(f"{SANDBOX}/control/faults")).status_code == 204


async def rows(order_id: str) -> dict:
    """What the database holds for the order: payments, outbox events (all kinds but the one-tap's own
    `order.created`, and `order.paid` ones), transitions, flags."""
    from app.jobs.models import OutboxEvent
    from app.orders.models import OrderFlag, OrderTransition, Payment
    from app.refunds.models import Refund

    refund_ids = set(await Refund.filter(order_id=order_id).values_list("id", flat=True))
    events = [e for e in await OutboxEvent.exclude(kind="order.created")
              if e.payload.get("order_id") == order_id or e.payload.get("refund_id") in refund_ids]
    return {"payments": await Payment.filter(order_id=order_id).count(), "outbox": len(events),
            "paid_events": sum(e.kind == "order.paid" for e in events),
            "transitions": [(t.from_status, t.to_status, t.cause)
                            for t in await OrderTransition.filter(order_id=order_id).order_by("id")],
            "flags": sorted(f.kind for f in await OrderFlag.filter(order_id=order_id))}


async def refused(client: httpx.AsyncClient, body: str, headers: dict[str, str], status: int, verdict: str,
                  path: str = "/notify/wechatpay") -> dict:
    """Deliver a notification that must be refused: answered `status` FAIL, kept in the log (raw body and headers)
    with `verdict`. Answers the log entry; what the refusal must not have changed is the caller's to check."""
    answer = await notify(client, body, headers, path=path)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == "FAIL" and answer.json()["message"]
    entry = next(e for e in await notifications_log(client, verdict=verdict)
                 if e["headers"].get("wechatpay-signature") == headers["Wechatpay-Signature"])
    assert entry["endpoint"] == path and entry["answer"]["status"] == status and entry["body"] == body
    assert entry["headers"]["wechatpay-timestamp"] == headers["Wechatpay-Timestamp"]
    return entry


async def sandbox_v3_get(client: httpx.AsyncClient, keys: dict, path: str) -> httpx.Response:
    """A GET of the sandbox's WeChat Pay APIv3 (`path` relative to its base URL), signed as the merchant."""
    from tests.sandbox.conftest import authorization

    return await client.get(SANDBOX + path, headers={"Authorization": authorization(keys, "GET", path, ""),
                                                      "Accept": "application/json"})


async def first_attempt(client: httpx.AsyncClient, out_trade_no: str) -> dict:
    """The request (`headers`, raw `body`) of the sandbox's first delivery attempt for the order."""
    for _ in range(250):
        log = (await client.get(f"{SANDBOX}/control/notifications",
                                params={"out_trade_no": out_trade_no})).json()["items"]
        if log:
            return log[0]["request"]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no delivery attempt for {out_trade_no}")

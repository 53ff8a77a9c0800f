"""Fixtures for the sandbox's tests: the sandbox served for real, a notify_url receiver, independent signers."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sanic import Sanic
from sanic.response import HTTPResponse
from wechatpayv3.async_ import AsyncWeChatPay
from wechatpayv3.async_.type import WeChatPayType

from app.sandbox import create_sandbox_app
from tests.servers import ServedApp

TIME_FACTOR = 1000.0
PREFIX = "/sandbox/wechat"
CHINA = timezone(timedelta(hours=8))




@dataclass
class Receiver:
    """Stands in for the BFF's notify_url: records every request, answers from a per-path script."""

    server: ServedApp | None = None
    received: dict[str, list[dict]] = field(default_factory=dict)
    scripts: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def url(self, key: str) -> str:
        return f"{self.server.origin}/notify/{key}"

    def script(self, key: str, *answers: tuple[int, str]) -> None:
        """Answers in order; the last one repeats. Default: 204."""
        self.scripts[key] = list(answers)

    def answer_for(self, key: str) -> tuple[int, str]:
        answers = self.scripts.get(key) or [(204, "")]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    async def wait_for(self, key: str, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received.get(key, [])) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{key}: {len(self.received.get(key, []))} of {count} notifications")
            await asyncio.sleep(0.01)
        return self.received[key]


def _receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic("sandbox_test_receiver")

    @app.post("/notify/<key>")
    async def notify(request, key: str):
        receiver.received.setdefault(key, []).append(
            {"headers": dict(request.headers), "body": request.body.decode("utf-8")}
        )
        status, body = receiver.answer_for(key)
        return HTTPResponse(body or None, status=status)

    return app


@pytest.fixture(scope="session")
async def sandbox_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sandbox-data")


@pytest.fixture(scope="session")
async def sandbox(sandbox_data_dir):
    running = await ServedApp(create_sandbox_app(sandbox_data_dir, TIME_FACTOR, name="sandbox_under_test")).start()
    yield running
    await running.stop()


@pytest.fixture(scope="session")
async def receiver():
    receiver = Receiver()
    receiver.server = await ServedApp(_receiver_app(receiver)).start()
    yield receiver
    await receiver.server.stop()


@pytest.fixture(scope="session")
async def client(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.origin + PREFIX, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
async def keys(client):
    return (await client.get("/control/keys")).json()


@pytest.fixture(autouse=True)
async def no_faults_left(client):
    yield
    await client.delete("/control/faults")


@pytest.fixture(scope="session")
async def wxpay(sandbox, keys, receiver):
    """wechatpayv3 in public-key mode, pointed at the sandbox: an SDK the sandbox did not write."""
    pay = AsyncWeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=keys["mchid"],
        private_key=keys["merchant"]["private_key_pem"],
        cert_serial_no=keys["merchant"]["serial_no"],
        appid=keys["appid"],
        apiv3_key=keys["apiv3_key"],
        notify_url=receiver.url("default"),
        public_key=keys["platform"]["public_key_pem"],
        public_key_id=keys["platform"]["public_key_id"],
        timeout=(5, 15),
    )
    pay._core._gate_way = sandbox.origin + PREFIX
    async with pay:
        yield pay


@pytest.fixture
def out_trade_no() -> str:
    return "T" + secrets.token_hex(8)


def time_expire(seconds_from_now: float, timespec: str = "seconds") -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, CHINA).isoformat(timespec=timespec)


def authorization(keys: dict, method: str, url: str, body: str, *, timestamp: int | None = None,
                  private_key_pem: str | None = None, serial_no: str | None = None) -> str:
    """WECHATPAY2-SHA256-RSA2048 written out with plain `cryptography`."""
    key = serialization.load_pem_private_key((private_key_pem or keys["merchant"]["private_key_pem"]).encode(), None)
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = secrets.token_hex(16)
    message = f"{method}\n{url}\n{ts}\n{nonce}\n{body}\n".encode()
    signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{keys["mchid"]}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{ts}",serial_no="{serial_no or keys["merchant"]["serial_no"]}"')


async def v3_call(client: httpx.AsyncClient, keys: dict, method: str, url: str, payload=None, **auth) -> httpx.Response:
    body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
    headers = {"Authorization": authorization(keys, method, url, body, **auth), "Accept": "application/json"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    return await client.request(method, url, content=body.encode(), headers=headers)


def verify_answer(keys: dict, response: httpx.Response) -> bool:
    """Check the platform signature of an APIv3 answer with plain `cryptography`."""
    public_key = serialization.load_pem_public_key(keys["platform"]["public_key_pem"].encode())
    h = response.headers
    message = f"{h['Wechatpay-Timestamp']}\n{h['Wechatpay-Nonce']}\n{response.text}\n".encode()
    try:
        public_key.verify(base64.b64decode(h["Wechatpay-Signature"]), message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return h["Wechatpay-Serial"] == keys["platform"]["public_key_id"]


async def login(client: httpx.AsyncClient, keys: dict, code: str) -> dict:
    params = {"appid": keys["appid"], "secret": keys["appsecret"], "js_code": code, "grant_type": "authorization_code"}
    return (await client.get("/sns/jscode2session", params=params)).json()


async def create_prepay(wxpay: AsyncWeChatPay, receiver: Receiver, out_trade_no: str, *, total: int = 990,
                        notify_key: str = "default", expire_s: float = 900, openid: str = "o_test_openid") -> str:
    code, text = await wxpay.pay(
        description="一键测试商品", out_trade_no=out_trade_no, amount={"total": total, "currency": "CNY"},
        payer={"openid": openid}, time_expire=time_expire(expire_s), notify_url=receiver.url(notify_key),
    )
    assert code == 200, text
    return json.loads(text)["prepay_id"]

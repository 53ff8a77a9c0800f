"""Fixtures for the payment providers' tests: a standalone sandbox served for real, a notify_url receiver, providers."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sanic import Sanic
from sanic.response import HTTPResponse

from app.core.settings import load_settings
from app.payments import PaymentRequest
from app.payments.providers.wechatpay_v3 import WeChatPayV3
from app.sandbox import create_sandbox_app
from app.wechat.credentials import CredentialSource
from tests.servers import ServedApp

TIME_FACTOR = 1000.0
PREFIX = "/sandbox/wechat"
V2_ACK = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"




class Receiver:
    """Stands in for our /notify routes: records raw headers and body, acknowledges as WeChat expects."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict]] = {}
        self.served: ServedApp | None = None

    def url(self, key: str) -> str:
        return f"{self.served.origin}/notify/{key}"

    async def wait_for(self, key: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received.get(key, [])) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{key}: {len(self.received.get(key, []))} of {count} notifications")
            await asyncio.sleep(0.01)
        return self.received[key]


def _receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic("payments_test_receiver")

    @app.post("/notify/<key>")
    async def notify(request, key: str):
        receiver.received.setdefault(key, []).append({"headers": dict(request.headers), "body": request.body})
        if key.startswith("v2"):
            return HTTPResponse(V2_ACK, status=200, content_type="text/xml")
        return HTTPResponse(status=204)

    return app


class FixedCredentials:
    """A CredentialSource stand-in: the sandbox's credentials with some fields changed by the test."""

    def __init__(self, creds) -> None:
        self.creds = creds

    async def get(self):
        return self.creds


@pytest.fixture(scope="session")
async def sandbox(tmp_path_factory):
    served = await ServedApp(create_sandbox_app(tmp_path_factory.mktemp("payments-sandbox"), TIME_FACTOR,
                                             name="payments_sandbox")).start()
    yield served
    await served.stop()


@pytest.fixture(scope="session")
async def receiver():
    receiver = Receiver()
    receiver.served = await ServedApp(_receiver_app(receiver)).start()
    yield receiver
    await receiver.served.stop()


@pytest.fixture(scope="session")
async def control(sandbox):
    """The sandbox's control API (and a plain client for its WeChat paths)."""
    async with httpx.AsyncClient(base_url=sandbox.origin + PREFIX, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
async def keys(control):
    return (await control.get("/control/keys")).json()


@pytest.fixture(scope="session")
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(scope="session")
async def credentials(sandbox, http, tmp_path_factory):
    """The real CredentialSource, in sandbox mode: the keys come from /control/keys."""
    settings = load_settings({
        "YIJIAN_DATA_DIR": str(tmp_path_factory.mktemp("payments-settings")),
        "YIJIAN_WECHAT_BASE_URL": sandbox.origin + PREFIX,
    })
    return CredentialSource(settings, http)


@pytest.fixture(autouse=True)
async def no_faults_left(control):
    yield
    await control.delete("/control/faults")


@pytest.fixture(scope="session")
def make_v3(sandbox, credentials, http):
    def make(creds=None, **options) -> WeChatPayV3:
        options.setdefault("timeout_s", 2.0)
        return WeChatPayV3(sandbox.origin + PREFIX, creds or credentials, http, **options)

    return make


@pytest.fixture(scope="session")
def make_v2(sandbox, credentials, http):
    from app.payments.providers.wechatpay_v2 import WeChatPayV2

    def make(creds=None, **options) -> WeChatPayV2:
        options.setdefault("timeout_s", 2.0)
        return WeChatPayV2(sandbox.origin + PREFIX, creds or credentials, http, **options)

    return make


@pytest.fixture
def out_trade_no() -> str:
    return "T" + secrets.token_hex(8)


@pytest.fixture
def payment(out_trade_no, receiver):
    """A PaymentRequest factory: one order of 990 fen expiring in 15 minutes, notified to the receiver."""

    expires_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=15)  # one per test: same body

    def make(key: str = "default", **changes) -> PaymentRequest:
        fields = dict(
            out_trade_no=out_trade_no, description="一键测试商品", amount_fen=990, openid="o_test_openid",
            expires_at=expires_at, notify_url=receiver.url(key),
        )
        fields.update(changes)
        return PaymentRequest(**fields)

    return make


async def pay(control: httpx.AsyncClient, prepay_id: str, result: str = "SUCCESS") -> dict:
    """The user in front of the cashier pays (POST /control/pay)."""
    response = await control.post("/control/pay", json={"prepay_id": prepay_id, "result": result})
    assert response.status_code == 200, response.text
    return response.json()


async def add_fault(control: httpx.AsyncClient, **fault) -> None:
    response = await control.post("/control/faults", json=fault)
    assert response.status_code == 201, response.text

"""Retries of APIv3 calls under the sandbox's faults: bounded by attempts and deadline, safe to repeat."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from app.payments import ProviderUnavailable

from .conftest import PREFIX, add_fault


class Recording(httpx.AsyncBaseTransport):
    """A real transport that records each request and can lose the answers of the first `lose` jsapi calls."""

    def __init__(self, lose: int = 0) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.lose = lose

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        if self.lose and request.url.path.endswith("/jsapi"):
            self.lose -= 1
            await response.aclose()  # WeChat did the work; only its answer is lost on the way back
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def recording_v3(sandbox, credentials):
    """make(lose=0, **options) → (provider on a recording transport, the transport)."""
    from app.payments.providers.wechatpay_v3 import WeChatPayV3

    clients = []

    def make(lose: int = 0, **options):
        transport = Recording(lose)
        clients.append(httpx.AsyncClient(transport=transport))
        return WeChatPayV3(sandbox.origin + PREFIX, credentials, clients[-1], **options), transport

    yield make
    for client in clients:
        await client.aclose()


async def test_system_error_on_every_attempt_is_unavailable_after_all_attempts(recording_v3, control, payment):
    await add_fault(control, kind="api_error", rate=1.0, apis=["jsapi"])
    provider, transport = recording_v3(attempts=3, deadline_s=8.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.create_payment(payment())
    assert caught.value.attempts == 3 and "SYSTEM_ERROR" in caught.value.reason
    assert len(transport.requests) == 3 and time.monotonic() - started < 8.0


async def test_every_attempt_resends_the_identical_body_with_a_fresh_signature(recording_v3, control, payment):
    await add_fault(control, kind="api_error", rate=1.0, apis=["jsapi"])
    provider, transport = recording_v3(attempts=3)
    with pytest.raises(ProviderUnavailable):
        await provider.create_payment(payment())
    assert len({r.content for r in transport.requests}) == 1
    assert len({r.headers["Authorization"] for r in transport.requests}) == 3


async def test_half_the_calls_failing_is_absorbed_by_the_retries(make_v3, control, payment, out_trade_no):
    await add_fault(control, kind="api_error", rate=0.5, apis=["jsapi", "query"])
    provider = make_v3(attempts=16, deadline_s=30.0)  # 10 calls all failing 16 times: p ≈ 1.5e-4
    for i in range(10):
        params = await provider.create_payment(payment(out_trade_no=f"{out_trade_no}_{i}"))
        assert params.prepay_id
    assert (await provider.query(f"{out_trade_no}_9")).trade_state == "NOTPAY"


async def test_timeouts_give_up_within_the_deadline(make_v3, control, payment):
    await add_fault(control, kind="api_timeout", rate=1.0, apis=["jsapi"], delay_s=3.0)
    provider = make_v3(attempts=10, deadline_s=1.0, timeout_s=0.4)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.create_payment(payment())
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed  # deadline 1.0 s; without it 10 attempts × 0.4 s
    assert 2 <= caught.value.attempts < 10 and "timeout" in caught.value.reason.lower()


async def test_a_single_timeout_is_retried_to_the_same_prepay(recording_v3, payment, out_trade_no):
    provider, transport = recording_v3(lose=1, attempts=3)
    params = await provider.create_payment(payment())
    jsapi = [r for r in transport.requests if r.url.path.endswith("/jsapi")]
    assert len(jsapi) == 2 and jsapi[0].content == jsapi[1].content
    again = await provider.create_payment(payment())  # the first attempt had created the prepay
    assert again.prepay_id == params.prepay_id
    assert (await provider.query(out_trade_no)).trade_state == "NOTPAY"


async def test_after_timing_out_the_same_request_gets_the_prepay_wechat_created(make_v3, control, payment, out_trade_no):
    await add_fault(control, kind="api_timeout", rate=1.0, apis=["jsapi"], delay_s=2.0)
    provider, req = make_v3(attempts=2, deadline_s=1.0, timeout_s=0.3), payment()
    with pytest.raises(ProviderUnavailable):
        await provider.create_payment(req)
    await control.delete("/control/faults")
    assert (await provider.query(out_trade_no)).trade_state == "NOTPAY"  # the call had taken effect
    first, second = await provider.create_payment(req), await provider.create_payment(req)
    assert first.prepay_id == second.prepay_id


async def test_query_and_close_are_retried_too(make_v3, control, payment, out_trade_no):
    provider = make_v3(attempts=2)
    await provider.create_payment(payment())
    await add_fault(control, kind="api_error", rate=1.0, apis=["query", "close"])
    with pytest.raises(ProviderUnavailable):
        await provider.query(out_trade_no)
    with pytest.raises(ProviderUnavailable):
        await provider.close(out_trade_no)


async def test_unreachable_provider_is_unavailable(credentials, http, payment):
    from app.payments.providers.wechatpay_v3 import WeChatPayV3

    port_with_nothing = "http://127.0.0.1:9"
    provider = WeChatPayV3(port_with_nothing + PREFIX, credentials, http, attempts=2, deadline_s=2.0)
    with pytest.raises(ProviderUnavailable) as caught:
        await asyncio.wait_for(provider.create_payment(payment()), 5)
    assert caught.value.attempts == 2 and "ConnectError" in caught.value.reason

"""A method failing for everyone is placed last (METHOD_DEGRADED) until its 15-minute window passes; payment
errors name another usable method (DESIGN §3)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.core.clock import now_utc
from app.recommendations import service, signals
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error
from tests.jobs.helpers import sandbox_fault
from tests.recommendations.helpers import methods_in_order, recommendations


async def _forget_method_health(redis) -> None:
    keys = [key async for key in redis.scan_iter(match=signals.HEALTH_KEY.format(method="*", minute="*"))]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
async def clean_health(server):
    """The window is shared by every user of the session's server: start from none, and leave none behind."""
    redis = server.app.ctx.deps.redis
    await _forget_method_health(redis)
    yield
    await _forget_method_health(redis)


async def _failing_one_taps(client, tea, count: int) -> None:
    buyers = [await shopper(client) for _ in range(4)]  # several users: one user's one-taps may be rate-limited
    async with sandbox_fault(client, "api_error", 1.0, ["jsapi"]):
        answers = await asyncio.gather(*(one_tap(client, buyers[n % len(buyers)], {
            "items": items((tea, 1)), "payment_method": "wechatpay"}) for n in range(count)))
    for answer in answers:
        assert_error(answer, 503, "PAYMENT_PROVIDER_UNAVAILABLE")


async def test_a_method_failing_for_everyone_goes_last_and_recovers_once_the_window_passes(client, clean_health):
    tea = await product(client, price_fen=1500, stock=100)
    who = await shopper(client, balance_fen=20000, pin=PIN, pin_free_limit_fen=10000)
    assert methods_in_order(await recommendations(client, who))[0] == ("wechatpay", "NEW_USER")

    await _failing_one_taps(client, tea, 19)
    assert methods_in_order(await recommendations(client, who))[0] == ("wechatpay", "NEW_USER")  # 19 < 20 attempts

    await _failing_one_taps(client, tea, 1)
    body = await recommendations(client, who)
    assert methods_in_order(body) == [("wallet", "METHOD_DEGRADED"), ("wechatpay", "METHOD_DEGRADED")]
    assert body["payment_method"]["reason"] == "微信支付当前繁忙，建议使用余额"
    assert body["payment_method"]["alternatives"][0]["reason"] == "微信支付当前繁忙"
    # One-tap without a method pays with the wallet while WeChat Pay is degraded.
    paid = await one_tap(client, who, {"items": items((tea, 1))})
    assert paid.status_code == 201 and paid.json()["payment"] == {"method": "wallet", "status": "PAID"}

    # The window is 15 one-minute buckets: a minute later it still holds them, 15 minutes later none.
    soon = await service.recommend(who["user_id"], now=now_utc() + timedelta(minutes=1))
    assert soon.method.first.reason_code == "METHOD_DEGRADED"
    later = await service.recommend(who["user_id"], now=now_utc() + timedelta(minutes=15))
    assert later.method.first.method == "wechatpay" and later.method.first.reason_code == "NEW_USER"


async def test_a_healthy_rate_over_many_attempts_is_not_degraded(client, clean_health):
    redis = signals.installed_redis()
    for _ in range(100):
        await signals.record_attempt(redis, "wechatpay")
    for _ in range(19):
        await signals.record_provider_failure(redis, "wechatpay")
    health = await signals.method_health(redis, ("wechatpay",), now_utc())
    assert health["wechatpay"] == signals.MethodHealth(attempts=100, failures=19)
    who = await shopper(client, balance_fen=20000, pin=PIN)
    assert methods_in_order(await recommendations(client, who))[0] == ("wechatpay", "NEW_USER")


async def test_insufficient_balance_suggests_wechat_pay_unless_it_is_degraded(client, clean_health):
    tea = await product(client, price_fen=5000, stock=100)
    poor = await shopper(client, balance_fen=1000, pin=PIN, pin_free_limit_fen=10000)
    error = assert_error(await one_tap(client, poor, {"items": items((tea, 1)), "payment_method": "wallet"}),
                         402, "PAYMENT_INSUFFICIENT_BALANCE")
    assert error["suggested_payment_method"] == {"method": "wechatpay", "reason": "微信支付可以完成本单支付"}
    assert error["remedy"] == "可改用微信支付，或充值后再试"

    await _failing_one_taps(client, tea, 20)
    error = assert_error(await one_tap(client, poor, {"items": items((tea, 1)), "payment_method": "wallet"}),
                         402, "PAYMENT_INSUFFICIENT_BALANCE")
    assert "suggested_payment_method" not in error and error["remedy"] == "请充值后再试"


async def test_a_locked_wallet_suggests_wechat_pay(client):
    tea = await product(client, price_fen=1500, stock=100)
    who = await shopper(client, balance_fen=20000, pin=PIN)
    body = {"items": items((tea, 1)), "payment_method": "wallet", "wallet_pin": "369258"}
    for _ in range(4):
        assert_error(await one_tap(client, who, body), 403, "WALLET_PIN_WRONG")
    error = assert_error(await one_tap(client, who, body), 403, "WALLET_PIN_LOCKED")
    assert error["suggested_payment_method"]["method"] == "wechatpay"
    assert "微信支付" in error["remedy"]


async def test_wechat_pay_unavailable_suggests_the_wallet_only_when_it_can_pay(client, clean_health):
    tea = await product(client, price_fen=1500, stock=100)
    rich = await shopper(client, balance_fen=20000, pin=PIN)
    poor = await shopper(client, balance_fen=1000, pin=PIN)
    async with sandbox_fault(client, "api_error", 1.0, ["jsapi"]):
        rich_error = assert_error(await one_tap(client, rich, {"items": items((tea, 1))}), 503,
                                  "PAYMENT_PROVIDER_UNAVAILABLE")
        poor_error = assert_error(await one_tap(client, poor, {"items": items((tea, 1))}), 503,
                                  "PAYMENT_PROVIDER_UNAVAILABLE")
    assert rich_error["suggested_payment_method"] == {"method": "wallet", "reason": "钱包余额 ¥200.00，足够支付本单"}
    assert rich_error["remedy"] == "微信支付暂时不可用，可改用钱包余额支付"
    assert "suggested_payment_method" not in poor_error
    assert poor_error["remedy"] == "微信支付暂时不可用，请稍后重试"

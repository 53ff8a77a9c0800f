"""Rate limits (DESIGN.md §7): one-taps per user by distinct Idempotency-Key, feedback per user, 429 RATE_LIMITED
with Retry-After, checked after authentication and before any other work, and a `velocity` risk event."""

from __future__ import annotations

import asyncio
import uuid

from app.orders.models import Order
from tests.checkout.helpers import items, one_tap, product, shopper
from tests.factories import assert_error
from tests.feedback.helpers import file_feedback
from tests.metrics.helpers import scrape
from tests.notify.helpers import wechat_order
from tests.risk.helpers import risk_events


def _limited(response) -> int:
    """The Retry-After of a RATE_LIMITED answer, checked against the contract."""
    error = assert_error(response, 429, "RATE_LIMITED")
    retry_after = int(response.headers["retry-after"])
    assert error["retryable"] is True and error["retry_after_s"] == retry_after
    assert error["help_id"] == "hlp_rate_limited"
    return retry_after


async def test_the_eleventh_key_in_a_minute_is_limited_and_replays_are_not(client, server):
    assert server.settings.rate_limits["one_tap_user"] == (10, 60)
    hits = (await scrape(client)).value("yijian_rate_limited_total", limit="one_tap_user")
    tea = await product(client, price_fen=100, stock=100)
    who = await shopper(client)
    body = {"items": items((tea, 1)), "payment_method": "wechatpay"}
    keys = [uuid.uuid4().hex for _ in range(11)]
    for key in keys[:10]:
        assert (await one_tap(client, who, body, key)).status_code == 201
    assert 1 <= _limited(await one_tap(client, who, body, keys[10])) <= 60
    replay = await one_tap(client, who, body, keys[0])  # an admitted key is never counted again
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert await Order.filter(user_id=who["user_id"]).count() == 10
    # Before any other work: a refused key's body is not even read.
    _limited(await client.post("/api/v1/checkout/one-tap", content=b"not json",
                               headers={**who["headers"], "Idempotency-Key": uuid.uuid4().hex}))
    assert (await scrape(client)).value("yijian_rate_limited_total", limit="one_tap_user") - hits == 2  # §6.3
    [event] = await risk_events(client, "velocity", f"user:{who['user_id']}")
    assert event["count"] == 2 and event["details"] == {"limit": "one_tap_user", "count": 10, "period_s": 60}
    other = await shopper(client)  # per user
    assert (await one_tap(client, other, body)).status_code == 201


async def test_twenty_concurrent_requests_with_one_key_are_not_limited(client):
    tea = await product(client, price_fen=100, stock=100)
    who = await shopper(client)
    body, key = {"items": items((tea, 1)), "payment_method": "wechatpay"}, uuid.uuid4().hex
    answers = await asyncio.gather(*(one_tap(client, who, body, key) for _ in range(20)))
    statuses = [answer.status_code for answer in answers]
    assert 429 not in statuses and set(statuses) <= {201, 409}, statuses
    assert await Order.filter(user_id=who["user_id"]).count() == 1
    for _ in range(9):  # the key counted once: nine more keys still fit in the minute
        assert (await one_tap(client, who, body)).status_code == 201
    _limited(await one_tap(client, who, body))


async def test_concurrent_distinct_keys_admit_exactly_ten(client):
    tea = await product(client, price_fen=100, stock=100)
    who = await shopper(client)
    answers = await asyncio.gather(*(one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})
                                     for _ in range(25)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 10 + [429] * 15, statuses


async def test_the_sixth_feedback_in_an_hour_is_limited(client):
    made = await wechat_order(client)
    headers, order_id = made["who"]["headers"], made["order"]["id"]
    for n in range(5):
        assert (await file_feedback(client, headers, order_id, text=f"第{n}条")).status_code == 201
    retry_after = _limited(await file_feedback(client, headers, order_id))
    assert 3500 <= retry_after <= 3600
    assert_error(await file_feedback(client, {}, order_id), 401, "AUTH_TOKEN_MISSING")  # authentication first


async def test_a_limit_redis_cannot_check_admits_and_says_so(server):
    """A limit protects; it is not what keeps money right: with Redis unreachable the request goes on, logged."""
    from dataclasses import replace

    from redis.asyncio import Redis

    from app.risk import limits
    from tests.servers import free_port

    unreachable = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    deps = replace(server.app.ctx.deps, redis=unreachable)
    mark = len(server.logs.lines)
    try:
        for _ in range(12):
            await limits.check(deps, limits.ONE_TAP, "usr_redis_away", member=uuid.uuid4().hex)
    finally:
        await unreachable.aclose()
    assert sum('"msg":"rate limit not checked"' in line for line in server.logs.lines[mark:]) == 12

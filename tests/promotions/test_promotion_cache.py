"""The pricing path's promotion cache: a switch-off reaches every worker's cache before PATCH returns
(DESIGN.md §1, §6), also without pub/sub and without Redis."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import redis.asyncio as redis_asyncio

from app.core import cache as redis_cache
from app.pricing.domain import PromotionRule
from app.promotions import cache as promotion_cache, versions
from app.promotions.cache import PromotionCache
from tests.factories import make_promotion, operator_headers


@pytest.fixture
async def other_worker(server):
    """A second worker's cache: its own Redis client on the same Redis, its own listener."""
    client = redis_cache.connect(server.settings.redis_url)
    worker = PromotionCache(client)
    worker.start()
    yield worker
    await worker.stop()
    await client.aclose()


async def _ids(worker: PromotionCache) -> set[str]:
    return {rule.id for rule in await worker.rules()}


async def _switch_off(client, promotion_id: str) -> None:
    response = await client.patch(f"/admin/v1/promotions/{promotion_id}", json={"enabled": False},
                                  headers=await operator_headers(client))
    assert response.status_code == 200


async def test_switch_off_is_seen_by_another_worker_as_soon_as_patch_returns(client, server, other_worker):
    promotion = await make_promotion(client)
    own = server.app.ctx.promotion_cache
    assert promotion["id"] in await _ids(own) and promotion["id"] in await _ids(other_worker)
    await _switch_off(client, promotion["id"])
    # No sleep: the very next read on either worker must not see it.
    assert promotion["id"] not in await _ids(other_worker)
    assert promotion["id"] not in await _ids(own)


async def test_switch_off_is_seen_even_when_the_announcement_has_not_arrived(client, server):
    client_redis = redis_cache.connect(server.settings.redis_url)
    deaf_worker = PromotionCache(client_redis)  # never started: it gets no pub/sub message at all
    try:
        promotion = await make_promotion(client)
        assert promotion["id"] in await _ids(deaf_worker)
        await _switch_off(client, promotion["id"])
        assert promotion["id"] not in await _ids(deaf_worker)
    finally:
        await client_redis.aclose()


async def test_an_announced_change_is_loaded_before_the_next_read(client, other_worker):
    await other_worker.rules()
    reloads = other_worker.stats.reloads
    promotion = await make_promotion(client)
    for _ in range(100):  # the listener reloads in the background, off the request path
        if other_worker.stats.reloads > reloads:
            break
        await asyncio.sleep(0.01)
    assert other_worker.stats.reloads == reloads + 1
    assert other_worker.stats.messages >= 1
    assert promotion["id"] in await _ids(other_worker)
    assert other_worker.stats.reloads == reloads + 1  # the read itself did not reload


async def test_reads_without_changes_do_not_touch_the_database(client, other_worker):
    await make_promotion(client)
    await other_worker.rules()
    reloads, database_checks = other_worker.stats.reloads, other_worker.stats.database_checks
    for _ in range(20):
        await other_worker.rules()
    assert (other_worker.stats.reloads, other_worker.stats.database_checks) == (reloads, database_checks)


async def test_without_redis_the_database_version_decides(client):
    unreachable = redis_asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
    worker = PromotionCache(unreachable)
    try:
        promotion = await make_promotion(client)
        assert promotion["id"] in await _ids(worker)
        await _switch_off(client, promotion["id"])
        assert promotion["id"] not in await _ids(worker)
        assert worker.stats.database_checks >= 2
    finally:
        await unreachable.aclose()


async def test_a_redis_that_lost_the_counter_falls_back_to_the_database(client, server, other_worker):
    promotion = await make_promotion(client)
    assert promotion["id"] in await _ids(other_worker)
    redis = server.app.ctx.deps.redis
    await redis.delete(versions.REDIS_KEY)
    await _switch_off(client, promotion["id"])  # the counter starts again, from the current time
    assert int(await redis.get(versions.REDIS_KEY)) > 10**15
    assert promotion["id"] not in await _ids(other_worker)


async def test_a_change_redis_never_heard_of_is_seen_within_the_trust_period(client, server):
    client_redis = redis_cache.connect(server.settings.redis_url)
    worker = PromotionCache(client_redis, max_trust_s=0.05)
    try:
        promotion = await make_promotion(client)
        assert promotion["id"] in await _ids(worker)
        # The change commits but its announcement is lost (the writer could not reach Redis).
        from app.promotions.models import Promotion
        from tortoise.transactions import in_transaction

        async with in_transaction() as connection:
            await Promotion.filter(id=promotion["id"]).using_db(connection).update(enabled=False)
            await versions.bump_in(connection)
        await asyncio.sleep(0.06)
        assert promotion["id"] not in await _ids(worker)
    finally:
        await client_redis.aclose()


async def test_active_promotions_are_pricing_rules_inside_their_window(client):
    now = datetime.now(timezone.utc)
    current = await make_promotion(client, kind="threshold", threshold_fen=5000, amount_off_fen=800,
                                   priority=3, stackable=True, per_user_limit=2, budget_fen=10000,
                                   starts_at=(now - timedelta(hours=1)).isoformat(),
                                   conditions={"payment_method": ["wallet"], "categories": ["茶饮"],
                                               "cities": ["广州市"], "new_user_only": True,
                                               "hours": {"from": "22:00", "to": "24:00"}})
    future = await make_promotion(client, starts_at=(now + timedelta(days=1)).isoformat())
    past = await make_promotion(client, ends_at=(now - timedelta(seconds=1)).isoformat())
    off = await make_promotion(client, enabled=False)
    rules = {rule.id: rule for rule in await promotion_cache.active_promotions(now)}
    assert current["id"] in rules
    assert not {future["id"], past["id"], off["id"]} & set(rules)
    rule = rules[current["id"]]
    assert isinstance(rule, PromotionRule)
    assert rule == PromotionRule(
        id=current["id"], name=current["name"], kind="threshold", amount_off_fen=800, percent_off=None,
        threshold_fen=5000, priority=3, stackable=True, created_at=rule.created_at, per_user_limit=2,
        budget_remaining_fen=10000, payment_methods=("wallet",), categories=("茶饮",), cities=("广州市",),
        new_user_only=True, hours_from="22:00", hours_to="24:00", starts_at=rule.starts_at, ends_at=None)
    assert rule.created_at.utcoffset() == timedelta(0)
    assert abs(rule.starts_at - (now - timedelta(hours=1))) < timedelta(seconds=1)


async def test_a_redis_without_a_counter_gets_one_instead_of_sending_every_read_to_the_database(
        client, server, other_worker):
    promotion = await make_promotion(client)
    assert promotion["id"] in await _ids(other_worker)
    await server.app.ctx.deps.redis.delete(versions.REDIS_KEY)  # a flushed or restarted Redis, no change since
    await _ids(other_worker)
    checks = other_worker.stats.database_checks
    for _ in range(5):
        assert promotion["id"] in await _ids(other_worker)
    assert other_worker.stats.database_checks == checks
    assert int(await server.app.ctx.deps.redis.get(versions.REDIS_KEY)) > 10**15

"""Idempotency keys, concurrency and provider failure: one order per key, no oversell, nothing half made."""

from __future__ import annotations

import asyncio
import uuid

from app.checkout.idempotency import raw_request_hash
from app.checkout.models import IdempotencyRecord
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error, operator_headers

FAULTS = "/sandbox/wechat/control/faults"


async def test_same_key_same_body_replays_the_first_answer(client):
    tea = await product(client, price_fen=700, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    first = await one_tap(client, who, {"items": items((tea, 1))}, key)
    again = await one_tap(client, who, {"items": items((tea, 1))}, key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len((await client.get("/api/v1/orders", headers=who["headers"])).json()["items"]) == 1
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 4


async def test_same_key_with_another_body_is_reused(client):
    tea = await product(client, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    assert (await one_tap(client, who, {"items": items((tea, 1))}, key)).status_code == 201
    assert_error(await one_tap(client, who, {"items": items((tea, 2))}, key), 422, "IDEMPOTENCY_KEY_REUSED")


async def test_wallet_pin_is_not_part_of_the_compared_body(client):
    tea = await product(client, price_fen=3000)
    who = await shopper(client, balance_fen=10000, pin=PIN)
    key = uuid.uuid4().hex
    body = {"items": items((tea, 1)), "payment_method": "wallet"}
    first = await one_tap(client, who, {**body, "wallet_pin": PIN}, key)
    assert first.status_code == 201
    replay = await one_tap(client, who, body, key)  # no PIN the second time: still the same request
    assert replay.status_code == 201 and replay.json() == first.json()
    assert (await client.get("/api/v1/wallet", headers=who["headers"])).json()["balance_fen"] == 7000


async def test_keys_are_scoped_to_the_user(client):
    tea = await product(client, stock=5)
    alice, bob = await shopper(client), await shopper(client)
    key = uuid.uuid4().hex
    a = await one_tap(client, alice, {"items": items((tea, 1))}, key)
    b = await one_tap(client, bob, {"items": items((tea, 1))}, key)
    assert a.status_code == b.status_code == 201
    assert a.json()["order"]["id"] != b.json()["order"]["id"]


async def test_a_failed_attempt_stores_nothing_and_the_key_can_be_retried(client):
    tea = await product(client, price_fen=1000, stock=1)
    who = await shopper(client)
    key = uuid.uuid4().hex
    body = {"items": items((tea, 2))}
    assert_error(await one_tap(client, who, body, key), 409, "OUT_OF_STOCK")
    response = await client.patch(f"/admin/v1/products/{tea['id']}", json={"stock": 5},
                                  headers=await operator_headers(client))
    assert response.status_code == 200, response.text
    # The same key and body now succeed, evaluated anew: had the 409 been stored, it would be replayed.
    retry = await one_tap(client, who, body, key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 3


async def test_an_unknown_field_does_not_make_another_request(client):
    tea = await product(client, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    first = await one_tap(client, who, {"items": items((tea, 1))}, key)
    assert first.status_code == 201, first.text
    # Unknown fields are ignored (DESIGN §2), and a field sent as null is the field left out: the same request.
    again = await one_tap(client, who, {"items": items((tea, 1)), "coupon": "SPRING", "address_id": None}, key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert_error(await one_tap(client, who, {"items": items((tea, 2)), "coupon": "SPRING"}, key),
                 422, "IDEMPOTENCY_KEY_REUSED")
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 4


async def test_a_key_stored_under_the_raw_body_still_replays(client):
    """Records made before the validated body was hashed hold the raw body's hash; their retries still match."""
    tea = await product(client, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    body = {"items": items((tea, 1)), "coupon": "SPRING"}
    first = await one_tap(client, who, body, key)
    assert first.status_code == 201, first.text
    await IdempotencyRecord.filter(user_id=who["user_id"], key=key).update(request_hash=raw_request_hash(body))
    again = await one_tap(client, who, body, key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_concurrent_requests_with_one_key_make_one_order(client):
    tea = await product(client, stock=50)
    who = await shopper(client)
    key = uuid.uuid4().hex
    responses = await asyncio.gather(*[one_tap(client, who, {"items": items((tea, 1))}, key) for _ in range(8)])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["order"]["id"] for r in created}) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert len((await client.get("/api/v1/orders", headers=who["headers"])).json()["items"]) == 1
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 49


async def test_last_items_are_sold_exactly_once_under_concurrency(client):
    stock = 3
    tea = await product(client, price_fen=100, stock=stock)
    buyers = [await shopper(client, balance_fen=1000, pin=PIN, pin_free_limit_fen=1000) for _ in range(10)]
    responses = await asyncio.gather(*[
        one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"}) for who in buyers
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == stock
    for r in responses:
        if r.status_code != 201:
            assert r.json()["error"]["code"] == "OUT_OF_STOCK"
            assert r.json()["error"]["products"] == [tea["id"]]
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=buyers[0]["headers"])).json()["stock"] == 0
    balances = [(await client.get("/api/v1/wallet", headers=b["headers"])).json()["balance_fen"] for b in buyers]
    assert sorted(balances) == [900] * stock + [1000] * (10 - stock)


async def test_provider_failure_closes_the_order_hides_it_and_returns_the_stock(client):
    tea = await product(client, price_fen=1500, stock=2)
    who = await shopper(client, balance_fen=5000, pin=PIN)
    key = uuid.uuid4().hex
    await client.post(FAULTS, json={"kind": "api_error", "rate": 1.0, "apis": ["jsapi"]})
    try:
        error = assert_error(await one_tap(client, who, {"items": items((tea, 1))}, key),
                             503, "PAYMENT_PROVIDER_UNAVAILABLE")
    finally:
        await client.delete(FAULTS)
    assert error["retryable"] is True
    assert error["suggested_payment_method"]["method"] == "wallet" and "钱包" in error["remedy"]
    assert (await client.get("/api/v1/orders", headers=who["headers"])).json()["items"] == []
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 2
    # Nothing was stored under the key: the same request goes through once WeChat Pay is back.
    retry = await one_tap(client, who, {"items": items((tea, 1))}, key)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers



async def test_a_key_freed_by_a_provider_failure_takes_another_body(client):
    """The failed attempt stored nothing, so its key is not bound to its body either (DESIGN §3)."""
    tea = await product(client, price_fen=1500, stock=5)
    who = await shopper(client)
    key = uuid.uuid4().hex
    await client.post(FAULTS, json={"kind": "api_error", "rate": 1.0, "apis": ["jsapi"]})
    try:
        assert_error(await one_tap(client, who, {"items": items((tea, 1))}, key), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
    finally:
        await client.delete(FAULTS)
    other = await one_tap(client, who, {"items": items((tea, 2))}, key)
    assert other.status_code == 201, other.text
    assert other.json()["order"]["lines"][0]["quantity"] == 2

async def test_an_overlong_key_is_a_validation_error(client):
    tea = await product(client)
    who = await shopper(client)
    error = assert_error(await one_tap(client, who, {"items": items((tea, 1))}, "k" * 256), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "Idempotency-Key", "reason": "at most 255 characters"}]

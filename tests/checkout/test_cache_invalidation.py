"""The checkout's in-process caches (catalog, promotions, the user's choices and order history, the token check)
follow every change on the next request of ANOTHER worker: a second server process sharing the database and Redis
(DESIGN §1, §6; app/core/versioned.py). Its caches are warmed by a first quote, the change is made through the
session's server, and the very next quote on the second process must see it.

Only with PostgreSQL and Redis: the embedded default is one process (its Redis stand-in lives inside it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.checkout.helpers import ADDRESS, PIN, items, one_tap, product, shopper
from tests.factories import make_promotion, operator_headers, unique_label
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not os.environ.get("YIJIAN_REDIS_URL"),
                                reason="two server processes need PostgreSQL and Redis (the embedded default is one)")


@pytest.fixture(scope="module")
async def other_worker(server):
    """`python -m app serve` as its own process on the session server's database, Redis and secrets."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("YIJIAN_")},
           "YIJIAN_DATABASE_URL": server.settings.database_url, "YIJIAN_REDIS_URL": server.settings.redis_url,
           "YIJIAN_DATA_DIR": str(server.settings.data_dir), "YIJIAN_LOG_LEVEL": "WARNING",
           "YIJIAN_WECHAT_BASE_URL": f"{server.base_url}/sandbox/wechat", "YIJIAN_RATE_LIMITS": "off"}
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "1"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
            deadline = time.monotonic() + 90
            while True:
                assert process.poll() is None, process.stderr.read().decode()[-3000:]
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the second server did not start"
                time.sleep(0.2)
            yield http
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _quote(worker: httpx.AsyncClient, who: dict, cart: list[dict], **extra) -> dict:
    response = await worker.post("/api/v1/checkout/quote", json={"items": cart, **extra}, headers=who["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def _discounts(quote: dict) -> set[str]:
    return {discount["promotion_id"] for discount in quote["discounts"]}


async def test_a_price_change_is_seen_by_the_next_quote_of_another_worker(client, other_worker):
    who, item = await shopper(client), await product(client, price_fen=1000)
    cart = items((item, 1))
    assert (await _quote(other_worker, who, cart))["items_total_fen"] == 1000
    assert (await _quote(other_worker, who, cart))["items_total_fen"] == 1000  # now from its memory
    response = await client.patch(f"/admin/v1/products/{item['id']}", json={"price_fen": 1500},
                                  headers=await operator_headers(client))
    assert response.status_code == 200, response.text
    assert (await _quote(other_worker, who, cart))["items_total_fen"] == 1500
    response = await client.patch(f"/admin/v1/products/{item['id']}", json={"on_sale": False},
                                  headers=await operator_headers(client))
    assert response.status_code == 200, response.text
    unavailable = await other_worker.post("/api/v1/checkout/quote", json={"items": cart}, headers=who["headers"])
    assert unavailable.status_code == 422 and unavailable.json()["error"]["code"] == "PRODUCT_UNAVAILABLE"


async def test_an_address_change_is_seen_by_the_next_quote_of_another_worker(client, other_worker):
    who, item = await shopper(client), await product(client)
    cart = items((item, 1))
    address = (await _quote(other_worker, who, cart))["address"]
    assert address["city"] == "广州市"
    moved = {**ADDRESS, "cityName": "深圳市", "is_default": True}
    response = await client.put(f"/api/v1/me/addresses/{address['id']}", json=moved, headers=who["headers"])
    assert response.status_code == 200, response.text
    assert (await _quote(other_worker, who, cart))["address"]["city"] == "深圳市"
    # A new default address is seen too.
    response = await client.post("/api/v1/me/addresses", json={**ADDRESS, "cityName": "杭州市", "is_default": True},
                                 headers=who["headers"])
    assert response.status_code == 201, response.text
    assert (await _quote(other_worker, who, cart))["address"]["id"] == response.json()["id"]


async def test_a_first_payment_is_seen_by_the_next_quote_of_another_worker(client, other_worker):
    who = await shopper(client, balance_fen=10_000, pin=PIN, pin_free_limit_fen=5_000)
    item = await product(client, price_fen=1000)
    welcome = await make_promotion(client, amount_off_fen=200,
                                   conditions={"categories": [item["category"]], "new_user_only": True})
    cart = items((item, 1))
    assert _discounts(await _quote(other_worker, who, cart, payment_method="wallet")) == {welcome["id"]}
    paid = await one_tap(client, who, {"items": cart, "payment_method": "wallet"})
    assert paid.status_code == 201 and paid.json()["order"]["status"] == "PAID", paid.text
    assert _discounts(await _quote(other_worker, who, cart, payment_method="wallet")) == set()


async def test_a_promotion_use_is_seen_by_the_next_quote_of_another_worker(client, other_worker):
    who = await shopper(client, balance_fen=10_000, pin=PIN, pin_free_limit_fen=5_000)
    item = await product(client, price_fen=1000)
    once = await make_promotion(client, amount_off_fen=300, per_user_limit=1,
                                conditions={"categories": [item["category"]]})
    cart = items((item, 1))
    quote = await _quote(other_worker, who, cart, payment_method="wallet")
    assert _discounts(quote) == {once["id"]} and quote["payable_fen"] == 700
    # The use is made on the second worker itself and seen on the first, and the other way round.
    used = await one_tap(other_worker, who, {"items": cart, "payment_method": "wallet"})
    assert used.status_code == 201, used.text
    assert _discounts(await _quote(client, who, cart, payment_method="wallet")) == set()
    assert _discounts(await _quote(other_worker, who, cart, payment_method="wallet")) == set()


async def test_a_promotion_switched_off_is_not_used_by_another_worker_once_the_patch_returns(client, other_worker):
    who, item = await shopper(client), await product(client, price_fen=1000)
    promotion = await make_promotion(client, amount_off_fen=100, conditions={"categories": [item["category"]]})
    cart = items((item, 1))
    assert _discounts(await _quote(other_worker, who, cart)) == {promotion["id"]}
    response = await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"enabled": False},
                                  headers=await operator_headers(client))
    assert response.status_code == 200, response.text
    assert _discounts(await _quote(other_worker, who, cart)) == set()


async def test_a_revoked_token_is_refused_by_the_next_request_of_another_worker(client, other_worker):
    who, item = await shopper(client), await product(client)
    cart = items((item, 1))
    await _quote(other_worker, who, cart)
    assert (await client.post("/api/v1/auth/logout", headers=who["headers"])).status_code == 204
    refused = await other_worker.post("/api/v1/checkout/quote", json={"items": cart}, headers=who["headers"])
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "AUTH_TOKEN_INVALID", refused.text


async def test_a_cached_product_that_looks_sold_out_is_read_again_by_one_tap(client, other_worker):
    """A quote may show cached stock; a one-tap never trusts it to refuse (nor to take: the transaction does)."""
    who = await shopper(client, balance_fen=10_000, pin=PIN, pin_free_limit_fen=5_000)
    item = await product(client, price_fen=1000, stock=1)
    cart = items((item, 1))
    await _quote(other_worker, who, cart, payment_method="wallet")  # the second worker caches stock 1
    first = await one_tap(client, who, {"items": cart, "payment_method": "wallet"})
    assert first.status_code == 201, first.text
    sold_out = await one_tap(other_worker, who, {"items": cart, "payment_method": "wallet"})
    assert sold_out.status_code == 409 and sold_out.json()["error"]["code"] == "OUT_OF_STOCK", sold_out.text
    label = unique_label("restock")
    response = await client.patch(f"/admin/v1/products/{item['id']}", json={"stock": 1, "name": label},
                                  headers=await operator_headers(client))
    assert response.status_code == 200, response.text
    again = await one_tap(other_worker, who, {"items": cart, "payment_method": "wallet"})
    assert again.status_code == 201 and again.json()["order"]["lines"][0]["name"] == label, again.text


async def test_a_wechat_pay_notification_and_a_cancel_are_seen_by_the_next_quote_of_another_worker(client,
                                                                                                  other_worker):
    """Settlement (a notification's first payment) and a close (a use given back) announce through the same
    transition as every status change."""
    from tests.notify.helpers import pay, wait_for_status

    who, item = await shopper(client), await product(client, price_fen=1000, stock=100)
    conditions = {"categories": [item["category"]]}
    welcome = await make_promotion(client, amount_off_fen=200, stackable=True,
                                   conditions={**conditions, "new_user_only": True})
    once = await make_promotion(client, amount_off_fen=100, stackable=True, per_user_limit=1, conditions=conditions)
    cart = items((item, 1))
    assert _discounts(await _quote(other_worker, who, cart)) == {welcome["id"], once["id"]}
    first = await one_tap(client, who, {"items": cart, "payment_method": "wechatpay"})
    assert first.status_code == 201, first.text
    assert _discounts(await _quote(other_worker, who, cart)) == {welcome["id"]}  # the use is taken while PAYING
    cancelled = await client.post(f"/api/v1/orders/{first.json()['order']['id']}/cancel", headers=who["headers"])
    assert cancelled.status_code == 200, cancelled.text
    assert _discounts(await _quote(other_worker, who, cart)) == {welcome["id"], once["id"]}  # given back
    second = await one_tap(client, who, {"items": cart, "payment_method": "wechatpay"})
    assert second.status_code == 201, second.text
    assert _discounts(await _quote(other_worker, who, cart)) == {welcome["id"]}  # still a new user: not paid yet
    prepay_id = second.json()["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
    await pay(client, prepay_id)
    await wait_for_status(client, second.json()["order"]["id"], "PAID")
    assert _discounts(await _quote(other_worker, who, cart)) == set()  # paid by the notification: not new any more

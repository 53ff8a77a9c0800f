"""A user's orders: list, detail, cancel, and nobody else's (DESIGN.md §3 "Orders")."""

from __future__ import annotations

from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error


async def test_orders_are_listed_newest_first_with_pagination(client):
    tea = await product(client, stock=10)
    who = await shopper(client)
    ids = [(await one_tap(client, who, {"items": items((tea, 1))})).json()["order"]["id"] for _ in range(3)]
    page1 = (await client.get("/api/v1/orders?limit=2", headers=who["headers"])).json()
    assert [o["id"] for o in page1["items"]] == ids[::-1][:2]
    page2 = (await client.get(f"/api/v1/orders?limit=2&cursor={page1['next_cursor']}",
                              headers=who["headers"])).json()
    assert [o["id"] for o in page2["items"]] == [ids[0]] and page2["next_cursor"] is None
    detail = (await client.get(f"/api/v1/orders/{ids[0]}", headers=who["headers"])).json()
    assert set(detail) >= {"id", "out_trade_no", "status", "lines", "items_total_fen", "discounts", "discount_fen",
                           "payable_fen", "payment_method", "address", "invoice", "created_at", "expires_at",
                           "paid_at"}


async def test_another_users_order_is_not_found(client):
    tea = await product(client)
    owner, stranger = await shopper(client), await shopper(client)
    order = (await one_tap(client, owner, {"items": items((tea, 1))})).json()["order"]
    assert_error(await client.get(f"/api/v1/orders/{order['id']}", headers=stranger["headers"]), 404, "NOT_FOUND")
    assert_error(await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=stranger["headers"]),
                 404, "NOT_FOUND")


async def test_cancel_closes_at_wechat_and_returns_the_stock(client):
    tea = await product(client, stock=4)
    who = await shopper(client)
    created = (await one_tap(client, who, {"items": items((tea, 2))})).json()
    order = created["order"]
    prepay_id = created["payment"]["request_payment"]["package"].removeprefix("prepay_id=")
    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=who["headers"])
    assert response.status_code == 200 and response.json()["status"] == "CLOSED"
    assert (await client.get(f"/api/v1/products/{tea['id']}", headers=who["headers"])).json()["stock"] == 4
    again = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=who["headers"])
    assert again.status_code == 200 and again.json()["status"] == "CLOSED"
    # Closed at WeChat Pay too: the user can no longer pay that prepay.
    paid = await client.post("/sandbox/wechat/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
    assert paid.status_code == 409 and paid.json()["code"] == "ORDER_CLOSED"


async def test_a_paid_order_cannot_be_cancelled(client):
    tea = await product(client, price_fen=100)
    who = await shopper(client, balance_fen=1000, pin=PIN, pin_free_limit_fen=1000)
    order = (await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})).json()["order"]
    error = assert_error(await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=who["headers"]),
                         409, "ORDER_NOT_CANCELLABLE")
    assert error["status"] == "PAID"

"""Unknown and off-sale products (DESIGN.md §3 Checkout): `422 PRODUCT_UNAVAILABLE` naming them, and a one-tap
refused so makes no order and holds no stock."""

from __future__ import annotations

import pytest

from tests.checkout.helpers import items, one_tap, product, shopper
from tests.factories import assert_error, operator_headers


async def _take_off_sale(client, made: dict) -> None:
    response = await client.patch(f"/admin/v1/products/{made['id']}", json={"on_sale": False},
                                  headers=await operator_headers(client))
    assert response.status_code == 200 and response.json()["on_sale"] is False, response.text


async def _nothing_made(client, who: dict, *still_stocked: dict) -> None:
    orders = (await client.get("/api/v1/orders", headers=who["headers"])).json()
    assert orders["items"] == []
    for made in still_stocked:
        detail = (await client.get(f"/api/v1/products/{made['id']}", headers=who["headers"])).json()
        assert detail["stock"] == made["stock"]


@pytest.mark.parametrize("method", ["wechatpay", "wallet"])
async def test_one_tap_with_an_unknown_product_is_product_unavailable(client, method):
    tea = await product(client, stock=5)
    who = await shopper(client, balance_fen=5000)
    cart = items((tea, 1)) + [{"product_id": "prd_NOSUCHPRODUCT", "quantity": 1}]
    error = assert_error(await one_tap(client, who, {"items": cart, "payment_method": method}),
                         422, "PRODUCT_UNAVAILABLE")
    assert error["products"] == ["prd_NOSUCHPRODUCT"]
    await _nothing_made(client, who, tea)


async def test_off_sale_product_is_product_unavailable_for_quote_and_one_tap(client):
    tea, cake = await product(client, stock=5), await product(client, stock=5)
    who = await shopper(client)
    cart = {"items": items((tea, 1), (cake, 2)), "payment_method": "wechatpay"}
    assert (await client.post("/api/v1/checkout/quote", json=cart, headers=who["headers"])).status_code == 200
    await _take_off_sale(client, cake)
    assert_error(await client.get(f"/api/v1/products/{cake['id']}", headers=who["headers"]), 404, "NOT_FOUND")
    quote = await client.post("/api/v1/checkout/quote", json=cart, headers=who["headers"])
    assert assert_error(quote, 422, "PRODUCT_UNAVAILABLE")["products"] == [cake["id"]]
    error = assert_error(await one_tap(client, who, cart), 422, "PRODUCT_UNAVAILABLE")
    assert error["products"] == [cake["id"]]
    await _nothing_made(client, who, tea)
    admin_view = (await client.get("/admin/v1/products", params={"limit": 100},
                                   headers=await operator_headers(client, "analyst"))).json()["items"]
    assert [p["stock"] for p in admin_view if p["id"] == cake["id"]] == [5]

"""Quote: the same pricing as one-tap, with defaults filled from preferences (DESIGN.md §3)."""

from __future__ import annotations

from tests.checkout.helpers import items, product, shopper
from tests.factories import assert_error, make_promotion, user_headers


async def test_quote_prices_lines_and_applies_the_best_promotion(client):
    coffee = await product(client, price_fen=1500)
    await make_promotion(client, kind="threshold", threshold_fen=3000, amount_off_fen=500,
                         conditions={"categories": [coffee["category"]]})
    who = await shopper(client)
    response = await client.post("/api/v1/checkout/quote", json={"items": items((coffee, 2))},
                                 headers=who["headers"])
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["items_total_fen"] == 3000
    assert quote["discount_fen"] == 500
    assert quote["payable_fen"] == 2500
    assert [d["amount_fen"] for d in quote["discounts"]] == [500]
    assert quote["discounts"][0]["reason"]
    assert quote["payment_method"] == "wechatpay"
    assert quote["address"]["city"] == "广州市"
    assert quote["lines"][0]["unit_price_fen"] == 1500 and quote["lines"][0]["quantity"] == 2


async def test_quote_without_address_still_prices(client):
    coffee = await product(client, price_fen=990)
    headers = await user_headers(client)
    quote = (await client.post("/api/v1/checkout/quote", json={"items": items((coffee, 1))},
                               headers=headers)).json()
    assert quote["payable_fen"] == 990 and quote["address"] is None


async def test_quote_unknown_product_is_product_unavailable(client):
    headers = await user_headers(client)
    error = assert_error(await client.post("/api/v1/checkout/quote",
                                           json={"items": [{"product_id": "prd_nope", "quantity": 1}]},
                                           headers=headers), 422, "PRODUCT_UNAVAILABLE")
    assert error["products"] == ["prd_nope"]


async def test_quote_validates_items(client):
    headers = await user_headers(client)
    error = assert_error(await client.post("/api/v1/checkout/quote",
                                           json={"items": [{"product_id": "x", "quantity": 0}]},
                                           headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "items.0.quantity"
    error = assert_error(await client.post("/api/v1/checkout/quote", json={"items": []}, headers=headers),
                         422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "items"


async def test_switched_off_promotion_is_gone_from_the_very_next_quote(client):
    from tests.factories import operator_headers

    tea = await product(client, price_fen=2000)
    promotion = await make_promotion(client, kind="amount_off", amount_off_fen=300,
                                     conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    body = {"items": items((tea, 1))}
    assert (await client.post("/api/v1/checkout/quote", json=body, headers=who["headers"])).json()[
        "payable_fen"] == 1700
    response = await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"enabled": False},
                                  headers=await operator_headers(client))
    assert response.status_code == 200
    assert (await client.post("/api/v1/checkout/quote", json=body, headers=who["headers"])).json()[
        "payable_fen"] == 2000

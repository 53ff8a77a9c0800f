"""GET /recommendations: offers ranked by saving with threshold hints, their city and hour conditions, buy-again,
and prefill carrying the same parts (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.checkout.helpers import ADDRESS, PIN, product, shopper
from tests.factories import assert_error, make_promotion, operator_headers
from tests.recommendations.helpers import applied, paid_with_wallet, paid_with_wechat, recommendations

BEIJING = {**ADDRESS, "provinceName": "北京市", "cityName": "北京市", "countyName": "朝阳区"}


def _mine(body: dict, *promotions: dict) -> list[dict]:
    """The offers among these promotions (the session's server may hold others), in the order given."""
    ids = {promotion["id"] for promotion in promotions}
    return [offer for offer in body["offers"] if offer["id"] in ids]


async def test_offers_are_ranked_by_what_they_save_on_the_cart_with_a_hint_near_a_threshold(client):
    tea = await product(client, price_fen=1000, stock=50)
    category = {"categories": [tea["category"]]}
    small = await make_promotion(client, kind="amount_off", amount_off_fen=300, stackable=True, conditions=category)
    tenth = await make_promotion(client, kind="percent_off", percent_off=10, stackable=True, conditions=category)
    near = await make_promotion(client, kind="threshold", threshold_fen=5000, amount_off_fen=2000,
                                stackable=True, conditions=category)
    who = await shopper(client)

    body = await recommendations(client, who, [(tea, 4)])  # ¥40.00: ¥10.00 short of the threshold, 25 %
    assert [offer["id"] for offer in _mine(body, small, tenth, near)] == [tenth["id"], small["id"], near["id"]]
    offers = {offer["id"]: offer for offer in body["offers"]}
    assert offers[tenth["id"]]["discount_fen"] == 400 and "hint" not in offers[tenth["id"]]
    assert offers[near["id"]] == {"id": near["id"], "name": near["name"], "kind": "threshold",
                                  "reason": offers[near["id"]]["reason"], "discount_fen": 0, "shortfall_fen": 1000,
                                  "hint": "再买 ¥10.00 可减 ¥20.00"}

    far = {offer["id"]: offer for offer in (await recommendations(client, who, [(tea, 3)]))["offers"]}
    assert far[near["id"]]["shortfall_fen"] == 2000 and "hint" not in far[near["id"]]  # 67 % of the cart

    without_items = await recommendations(client, who)
    assert all(set(offer) == {"id", "name", "kind", "reason"} for offer in without_items["offers"])


async def test_offers_follow_city_and_local_hour(client):
    tea = await product(client, price_fen=1000, stock=50)
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour

    def hours(start: int, end: int) -> dict:
        return {"from": f"{start % 24:02d}:00", "to": f"{end % 24:02d}:00"}

    guangzhou_only = await make_promotion(client, conditions={"cities": ["广州市"]})
    now_on = await make_promotion(client, conditions={"hours": hours(hour - 1, hour + 2)})
    later_on = await make_promotion(client, conditions={"hours": hours(hour + 3, hour + 5)})
    everyone = (guangzhou_only, now_on, later_on)
    guangzhou, beijing = await shopper(client), await shopper(client, address=BEIJING)

    assert {o["id"] for o in _mine(await recommendations(client, guangzhou), *everyone)} == {
        guangzhou_only["id"], now_on["id"]}
    assert {o["id"] for o in _mine(await recommendations(client, beijing), *everyone)} == {now_on["id"]}
    # Without a default address, the city is the one the last paid order went to.
    traveller = await shopper(client, address=None, balance_fen=10000, pin=PIN, pin_free_limit_fen=10000)
    address = (await client.post("/api/v1/me/addresses", json=ADDRESS, headers=traveller["headers"])).json()
    await paid_with_wallet(client, traveller, [(tea, 1)])
    await applied(traveller["user_id"], 1)
    await client.delete(f"/api/v1/me/addresses/{address['id']}", headers=traveller["headers"])
    body = await recommendations(client, traveller)
    assert body["context"]["city"] == "广州市"
    assert guangzhou_only["id"] in {offer["id"] for offer in body["offers"]}


async def test_buy_again_lists_products_of_two_or_more_paid_orders_most_bought_first(client):
    coffee, tea, cake = [await product(client, price_fen=price, stock=50) for price in (1200, 800, 2500)]
    sold_out, withdrawn = await product(client, price_fen=500, stock=3), await product(client, price_fen=600, stock=9)
    who = await shopper(client, balance_fen=50000, pin=PIN, pin_free_limit_fen=10000)
    await paid_with_wallet(client, who, [(coffee, 1), (tea, 2), (sold_out, 1), (withdrawn, 1)])
    await paid_with_wechat(client, who, [(coffee, 1), (tea, 1), (cake, 1), (sold_out, 2), (withdrawn, 1)])
    await paid_with_wallet(client, who, [(coffee, 2)])
    await applied(who["user_id"], 3)
    await client.patch(f"/admin/v1/products/{withdrawn['id']}", json={"on_sale": False},
                       headers=await operator_headers(client))

    body = await recommendations(client, who)
    # cake: one order; sold_out: no stock left; withdrawn: off sale.
    assert [item["product_id"] for item in body["buy_again"]] == [coffee["id"], tea["id"]]
    first = body["buy_again"][0]
    assert first["name"] == coffee["name"] and first["price_fen"] == 1200
    assert first["reason"] == "您通常每天购买，距上次不到 1 天"
    assert first["due_in_days"] == 0
    assert datetime.fromisoformat(first["last_bought_at"].replace("Z", "+00:00")) > datetime.now(timezone.utc) - \
        timedelta(minutes=5)
    # Never a product already in the cart.
    in_cart = await recommendations(client, who, [(coffee, 1)])
    assert [item["product_id"] for item in in_cart["buy_again"]] == [tea["id"]]

    prefill = (await client.get("/api/v1/checkout/prefill", headers=who["headers"])).json()
    assert prefill["buy_again"] == body["buy_again"] and prefill["offers"] == body["offers"]
    assert prefill["payment_method"] == body["payment_method"]  # no default set: the recommendation


async def test_items_must_be_product_and_quantity_pairs(client):
    tea = await product(client)
    who = await shopper(client)
    for bad, field in ((f"{tea['id']}", "items.0"), (f"{tea['id']}:0", "items.0"), (f"{tea['id']}:1,x", "items.1"),
                       ("", "items.0"), (f"{tea['id']}:1000", "items.0"), ("a/b:1", "items.0")):
        response = await client.get("/api/v1/recommendations", params={"items": bad}, headers=who["headers"])
        error = assert_error(response, 422, "VALIDATION_FAILED")
        assert [f["field"] for f in error["fields"]] == [field], bad
    many = ",".join(f"{tea['id']}:1" for _ in range(51))
    assert_error(await client.get("/api/v1/recommendations", params={"items": many}, headers=who["headers"]),
                 422, "VALIDATION_FAILED")
    unknown = await client.get("/api/v1/recommendations", params={"items": "prd_nope:1"}, headers=who["headers"])
    assert assert_error(unknown, 422, "PRODUCT_UNAVAILABLE")["products"] == ["prd_nope"]
    assert_error(await client.get("/api/v1/recommendations"), 401, "AUTH_TOKEN_MISSING")

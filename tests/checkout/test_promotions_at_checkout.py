"""Promotions through one-tap: per-user limits, budgets, conditions, and prefill's offers (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

from app.promotions.models import Promotion
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import make_promotion, operator_headers

OTHER_CITY = {"userName": "李四", "telNumber": "13900139000", "provinceName": "北京市", "cityName": "北京市",
              "countyName": "朝阳区", "detailInfo": "建国路1号"}


async def _discounts(response) -> list[int]:
    assert response.status_code == 201, response.text
    return [d["amount_fen"] for d in response.json()["order"]["discounts"]]


async def test_per_user_limit_counts_paying_and_paid_orders_not_closed_ones(client):
    tea = await product(client, price_fen=1000, stock=20)
    await make_promotion(client, kind="amount_off", amount_off_fen=200, per_user_limit=1,
                         conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    first = await one_tap(client, who, {"items": items((tea, 1))})
    assert await _discounts(first) == [200]
    assert await _discounts(await one_tap(client, who, {"items": items((tea, 1))})) == []
    # Cancelling the first order gives the use back.
    order_id = first.json()["order"]["id"]
    assert (await client.post(f"/api/v1/orders/{order_id}/cancel", headers=who["headers"])).status_code == 200
    assert await _discounts(await one_tap(client, who, {"items": items((tea, 1))})) == [200]
    # Another user has their own allowance.
    assert await _discounts(await one_tap(client, await shopper(client), {"items": items((tea, 1))})) == [200]


async def test_budget_is_never_overspent_or_applied_in_part(client):
    tea = await product(client, price_fen=1000, stock=50)
    await make_promotion(client, kind="amount_off", amount_off_fen=300, budget_fen=900,
                         conditions={"categories": [tea["category"]]})
    buyers = [await shopper(client) for _ in range(6)]
    responses = await asyncio.gather(*[one_tap(client, who, {"items": items((tea, 1))}) for who in buyers])
    given = []
    for response in responses:
        if response.status_code == 201:
            given.extend(d["amount_fen"] for d in response.json()["order"]["discounts"])
        else:  # lost the race for the last of the budget after pricing: told the new price
            assert response.json()["error"]["code"] == "PRICE_CHANGED"
    assert given.count(300) == 3 and set(given) == {300}


async def test_new_user_only_stops_after_a_paid_order(client):
    tea = await product(client, price_fen=1000, stock=10)
    await make_promotion(client, kind="amount_off", amount_off_fen=500, conditions={
        "categories": [tea["category"]], "new_user_only": True})
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    paid = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert await _discounts(paid) == [500]
    assert await _discounts(await one_tap(client, who, {"items": items((tea, 1))})) == []


async def test_city_and_payment_method_conditions(client):
    tea = await product(client, price_fen=2000, stock=10)
    await make_promotion(client, kind="amount_off", amount_off_fen=100, conditions={
        "categories": [tea["category"]], "cities": ["广州市"]})
    await make_promotion(client, kind="percent_off", percent_off=10, stackable=True, conditions={
        "categories": [tea["category"]], "payment_method": ["wallet"]})
    guangzhou = await shopper(client, balance_fen=10000, pin=PIN, pin_free_limit_fen=10000)
    beijing = await shopper(client, address=OTHER_CITY)
    assert await _discounts(await one_tap(client, guangzhou, {"items": items((tea, 1))})) == [100]
    assert await _discounts(await one_tap(client, beijing, {"items": items((tea, 1))})) == []
    wallet = await one_tap(client, guangzhou, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert await _discounts(wallet) == [100, 200]
    assert wallet.json()["order"]["payable_fen"] == 1700


async def test_prefill_lists_the_offers_this_user_can_use_now(client):
    await make_promotion(client, name="广州新客立减", kind="amount_off", amount_off_fen=100,
                         conditions={"cities": ["广州市"], "new_user_only": True})
    guangzhou, beijing = await shopper(client), await shopper(client, address=OTHER_CITY)
    offers = (await client.get("/api/v1/checkout/prefill", headers=guangzhou["headers"])).json()["offers"]
    mine = [o for o in offers if o["name"] == "广州新客立减"]
    assert len(mine) == 1 and mine[0]["reason"]
    others = (await client.get("/api/v1/checkout/prefill", headers=beijing["headers"])).json()["offers"]
    assert [o for o in others if o["name"] == "广州新客立减"] == []


async def test_closing_an_order_gives_back_only_what_it_charged_to_a_budget(client):
    """A promotion without a budget charges none, so an unpaid close gives none back: were its used amount to go
    below zero, a budget set on it later would be overspent by that much."""
    tea = await product(client, price_fen=1000, stock=20)
    promotion = await make_promotion(client, kind="amount_off", amount_off_fen=300,
                                     conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    first = await one_tap(client, who, {"items": items((tea, 1))})
    assert await _discounts(first) == [300]
    # The operator gives it a budget of one discount while the order is open.
    patched = await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"budget_fen": 300},
                                 headers=await operator_headers(client))
    assert patched.status_code == 200, patched.text
    cancelled = await client.post(f"/api/v1/orders/{first.json()['order']['id']}/cancel", headers=who["headers"])
    assert cancelled.status_code == 200, cancelled.text
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 0
    # The budget still holds exactly one discount, however many try at once.
    buyers = [await shopper(client) for _ in range(3)]
    answers = await asyncio.gather(*[one_tap(client, buyer, {"items": items((tea, 1))}) for buyer in buyers])
    given = [d["amount_fen"] for answer in answers if answer.status_code == 201
             for d in answer.json()["order"]["discounts"]]
    assert given == [300]
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 300


async def test_closing_an_order_gives_its_budget_charge_back(client):
    tea = await product(client, price_fen=1000, stock=20)
    promotion = await make_promotion(client, kind="amount_off", amount_off_fen=200, budget_fen=1000,
                                     conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    made = await one_tap(client, who, {"items": items((tea, 1))})
    assert await _discounts(made) == [200]
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 200
    cancelled = await client.post(f"/api/v1/orders/{made.json()['order']['id']}/cancel", headers=who["headers"])
    assert cancelled.status_code == 200, cancelled.text
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 0

"""GET /recommendations: the payment-method rules of DESIGN §3 in their order, with histories made through the API."""

from __future__ import annotations

from tests.checkout.helpers import PIN, one_tap, product, shopper, items
from tests.factories import assert_error, make_promotion
from tests.recommendations.helpers import (
    applied, failure_applied, methods_in_order, paid_with_wallet, paid_with_wechat, recommendations,
)


async def wallet_user(client, balance_fen: int = 20000):
    """A shopper whose wallet pays without a PIN up to ¥100 (PIN set, so larger payments can be made too)."""
    return await shopper(client, balance_fen=balance_fen, pin=PIN, pin_free_limit_fen=10000)


async def test_a_new_user_is_recommended_wechat_pay(client):
    who = await shopper(client, balance_fen=5000)
    body = await recommendations(client, who)
    assert body["payment_method"] == {
        "method": "wechatpay", "reason_code": "NEW_USER", "reason": "首次下单推荐微信支付",
        "alternatives": [{"method": "wallet", "reason_code": "NEW_USER", "reason": "也可使用余额支付"}],
    }
    assert body["buy_again"] == []
    assert body["context"]["city"] == "广州市" and body["context"]["cart_payable_fen"] is None
    assert 0 <= body["context"]["local_hour"] <= 23


async def test_a_habit_wins_and_says_how_often(client):
    tea = await product(client, price_fen=1500, stock=50)
    who = await wallet_user(client)
    await paid_with_wechat(client, who, [(tea, 1)])
    for _ in range(3):
        await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 4)
    body = await recommendations(client, who)
    assert body["payment_method"]["method"] == "wallet"
    assert body["payment_method"]["reason_code"] == "HABIT"
    assert body["payment_method"]["reason"] == "最近 3 次都用余额支付"
    assert body["payment_method"]["alternatives"] == [
        {"method": "wechatpay", "reason_code": "HABIT", "reason": "您已用微信支付 1 次"}]


async def test_a_wallet_below_the_cart_flips_to_wechat_pay(client):
    tea, ham = await product(client, price_fen=1500, stock=50), await product(client, price_fen=30000, stock=5)
    who = await wallet_user(client, balance_fen=5000)
    for _ in range(2):
        await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 2)
    assert methods_in_order(await recommendations(client, who, [(tea, 1)]))[0] == ("wallet", "HABIT")

    body = await recommendations(client, who, [(ham, 1)])  # ¥300.00 against ¥20.00 left
    assert methods_in_order(body) == [("wechatpay", "BALANCE_LOW"), ("wallet", "BALANCE_LOW")]
    assert body["payment_method"]["reason"] == "余额不足，推荐微信支付"
    assert body["payment_method"]["alternatives"][0]["reason"] == "余额 ¥20.00，不足以支付本单 ¥300.00"
    assert body["context"]["cart_payable_fen"] == 30000
    # The same cart without a method named: quote and one-tap pay it with the recommendation.
    quote = await client.post("/api/v1/checkout/quote", json={"items": items((ham, 1))}, headers=who["headers"])
    assert quote.json()["payment_method"] == "wechatpay"
    order = await one_tap(client, who, {"items": items((ham, 1))})
    assert order.status_code == 201 and order.json()["order"]["payment_method"] == "wechatpay"


async def test_the_users_default_decides_unless_rule_one_sets_it_aside(client):
    tea, ham = await product(client, price_fen=1500, stock=50), await product(client, price_fen=30000, stock=5)
    who = await wallet_user(client, balance_fen=5000)
    await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 1)
    await client.patch("/api/v1/me/preferences", json={"default_payment_method": "wechatpay"}, headers=who["headers"])
    prefill = (await client.get("/api/v1/checkout/prefill", headers=who["headers"])).json()
    assert prefill["payment_method"]["method"] == "wechatpay"
    assert prefill["payment_method"]["reason_code"] == "USER_DEFAULT"
    assert [a["method"] for a in prefill["payment_method"]["alternatives"]] == ["wallet"]
    quote = await client.post("/api/v1/checkout/quote", json={"items": items((tea, 1))}, headers=who["headers"])
    assert quote.json()["payment_method"] == "wechatpay"  # the habit says wallet, the default decides

    await client.patch("/api/v1/me/preferences", json={"default_payment_method": "wallet"}, headers=who["headers"])
    quote = await client.post("/api/v1/checkout/quote", json={"items": items((ham, 1))}, headers=who["headers"])
    assert quote.json()["payment_method"] == "wechatpay"  # the default wallet cannot pay ¥300.00


async def test_a_method_bound_promotion_saving_five_percent_wins_over_the_habit(client):
    tea = await product(client, price_fen=2000, stock=50)
    who = await wallet_user(client)
    for _ in range(2):
        await paid_with_wechat(client, who, [(tea, 1)])
    await applied(who["user_id"], 2)
    assert methods_in_order(await recommendations(client, who, [(tea, 2)]))[0] == ("wechatpay", "HABIT")
    await make_promotion(client, kind="percent_off", percent_off=10, conditions={
        "categories": [tea["category"]], "payment_method": ["wallet"]})
    body = await recommendations(client, who, [(tea, 2)])
    assert body["payment_method"]["method"] == "wallet"
    assert body["payment_method"]["reason_code"] == "PROMOTION"
    assert body["payment_method"]["reason"] == "余额支付立减 ¥4.00"
    assert body["payment_method"]["alternatives"][0]["method"] == "wechatpay"
    assert body["context"]["cart_payable_fen"] == 3600


async def test_a_promotion_saving_under_five_percent_leaves_the_habit(client):
    tea = await product(client, price_fen=2000, stock=50)
    who = await wallet_user(client)
    await paid_with_wechat(client, who, [(tea, 1)])
    await applied(who["user_id"], 1)
    await make_promotion(client, kind="amount_off", amount_off_fen=100, conditions={
        "categories": [tea["category"]], "payment_method": ["wallet"]})  # ¥1.00 of ¥40.00: 2.5 %
    body = await recommendations(client, who, [(tea, 2)])
    assert methods_in_order(body) == [("wechatpay", "HABIT"), ("wallet", "PROMOTION")]
    assert body["payment_method"]["alternatives"][0]["reason"] == "余额支付立减 ¥1.00"


async def test_a_method_the_user_just_failed_with_goes_after_the_others_for_ten_minutes(client):
    from datetime import timedelta

    from app.core.clock import now_utc
    from app.recommendations import service

    tea = await product(client, price_fen=1500, stock=50)
    who = await shopper(client, balance_fen=20000, pin=PIN)  # every wallet payment asks for the PIN
    for _ in range(2):
        await paid_with_wallet(client, who, [(tea, 1)])
    await applied(who["user_id"], 2)
    wrong = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet", "wallet_pin": "369258"})
    assert_error(wrong, 403, "WALLET_PIN_WRONG")
    await failure_applied(who["user_id"], "wallet", "WALLET_PIN_WRONG")

    body = await recommendations(client, who)
    assert methods_in_order(body) == [("wechatpay", "RECENT_FAILURE"), ("wallet", "RECENT_FAILURE")]
    assert body["payment_method"]["reason"] == "余额支付刚才未成功，建议改用微信支付"
    assert body["payment_method"]["alternatives"][0]["reason"] == "余额支付刚才未成功（支付密码错误）"
    later = await service.recommend(who["user_id"], now=now_utc() + timedelta(minutes=11))
    assert (later.method.first.method, later.method.first.reason_code) == ("wallet", "HABIT")


async def test_a_cancelled_wechat_pay_order_is_a_recent_failure_of_wechat_pay(client):
    tea = await product(client, price_fen=1500, stock=50)
    who = await wallet_user(client)
    await paid_with_wechat(client, who, [(tea, 1)])
    await applied(who["user_id"], 1)
    created = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})
    order_id = created.json()["order"]["id"]
    assert (await client.post(f"/api/v1/orders/{order_id}/cancel", headers=who["headers"])).status_code == 200
    await failure_applied(who["user_id"], "wechatpay", "CANCELLED")
    body = await recommendations(client, who)
    assert methods_in_order(body) == [("wallet", "RECENT_FAILURE"), ("wechatpay", "RECENT_FAILURE")]
    assert body["payment_method"]["alternatives"][0]["reason"] == "微信支付刚才未成功（订单已取消）"

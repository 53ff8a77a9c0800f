"""candidate_offers: the promotions a user could use now, for prefill and recommendations."""

from __future__ import annotations

from datetime import timedelta

from app.pricing import candidate_offers
from tests.pricing.factories import EPOCH, NOW, ctx, line, promo, shanghai


def ids(offers) -> list[str]:
    return [offer.promotion_id for offer in offers]


def test_offers_keep_only_what_this_user_can_use_now():
    rules = [
        promo("open"),
        promo("ended", ends_at=NOW - timedelta(days=1)),
        promo("later", starts_at=NOW + timedelta(days=1)),
        promo("breakfast", hours_from="08:00", hours_to="11:00"),
        promo("beijing", cities=("北京市",)),
        promo("newbie", new_user_only=True),
        promo("used", per_user_limit=1),
        promo("drained", budget_remaining_fen=0),
        promo("wallet", payment_methods=("wallet",)),
        promo("broken", amount_off_fen=None),
    ]
    assert ids(candidate_offers(rules, ctx(uses={"used": 1}))) == ["open"]
    everyone = ctx(now=shanghai(9), city="北京市", is_new_user=True, payment_method="wallet")
    assert sorted(ids(candidate_offers(rules, everyone))) == ["beijing", "breakfast", "newbie", "open", "used", "wallet"]


def test_offers_for_another_payment_method_on_request():
    rules = [promo("wallet", kind="percent_off", percent_off=5, payment_methods=("wallet",))]
    assert candidate_offers(rules, ctx(payment_method="wechatpay")) == ()
    (offer,) = candidate_offers(rules, ctx(payment_method="wechatpay"), any_payment_method=True)
    assert offer.reason == "钱包支付95折" and offer.discount_fen is None


def test_offers_are_listed_by_priority_then_age():
    rules = [
        promo("c", priority=1),
        promo("b", priority=5, created_at=EPOCH + timedelta(days=1)),
        promo("a", priority=5),
        promo("a"),
    ]
    assert ids(candidate_offers(rules, ctx())) == ["a", "b", "c"]


def test_offers_with_a_cart_say_what_they_give():
    rules = [
        promo("t", "threshold", threshold_fen=10000, amount_off_fen=2000),
        promo("pct", "percent_off", percent_off=10, stackable=True),
        promo("tea", categories=("茶饮",)),
        promo("tight", amount_off_fen=500, budget_remaining_fen=400),
    ]
    offers = {o.promotion_id: o for o in candidate_offers(rules, ctx(), [line(unit_price_fen=3500, quantity=2)])}
    assert set(offers) == {"t", "pct"}
    assert (offers["t"].discount_fen, offers["t"].shortfall_fen, offers["t"].hint) == (0, 3000, "再买30元可减20元")
    assert (offers["pct"].discount_fen, offers["pct"].shortfall_fen, offers["pct"].hint) == (700, None, None)
    assert offers["t"].to_dict() == {
        "promotion_id": "t", "name": "活动t", "kind": "threshold", "reason": "满100减20", "stackable": False,
        "discount_fen": 0, "shortfall_fen": 3000, "hint": "再买30元可减20元",
    }


def test_offer_threshold_met_by_the_cart():
    rules = [promo("t", "threshold", threshold_fen=10000, amount_off_fen=2000)]
    (offer,) = candidate_offers(rules, ctx(), [line(unit_price_fen=10000)])
    assert (offer.discount_fen, offer.shortfall_fen) == (2000, None)

"""The pure ranking of app/recommendations/ranking.py: rules in DESIGN §3's order, texts, offers, buy-again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.pricing import Offer
from app.recommendations.aggregates import PRODUCT, ItemAggregate
from app.recommendations.ranking import (
    MethodFacts, MethodInputs, ProductFacts, helpful_remedy, rank_buy_again, rank_methods, rank_offers,
    typical_basket, wallet_can_pay, with_default, yuan,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def inputs(wechatpay: MethodFacts | None = None, wallet: MethodFacts | None = None, **overrides) -> MethodInputs:
    values = dict(now=NOW, methods=(wechatpay or MethodFacts("wechatpay"), wallet or MethodFacts("wallet")),
                  paid_orders=5, recent_methods=("wallet",) * 5, wallet_balance_fen=10000, wallet_needed_fen=3000)
    values.update(overrides)
    return MethodInputs(**values)


def order_of(recommendation) -> list[tuple[str, str]]:
    return [(c.method, c.reason_code) for c in (recommendation.first, *recommendation.alternatives)]


def test_a_new_user_gets_wechat_pay_even_with_a_rich_wallet():
    result = rank_methods(inputs(paid_orders=0, recent_methods=()))
    assert order_of(result) == [("wechatpay", "NEW_USER"), ("wallet", "NEW_USER")]
    assert result.first.reason == "首次下单推荐微信支付"


def test_the_highest_decayed_score_wins_and_ties_go_to_the_latest_used():
    habit = inputs(MethodFacts("wechatpay", score=1.2, paid_count=9), MethodFacts("wallet", score=2.0, paid_count=5))
    result = rank_methods(habit)
    assert order_of(result) == [("wallet", "HABIT"), ("wechatpay", "HABIT")]
    assert result.first.reason == "最近 5 次都用余额支付"
    assert result.alternatives[0].reason == "您已用微信支付 9 次"
    tie = inputs(MethodFacts("wechatpay", score=1.0, last_paid_at=NOW), MethodFacts("wallet", score=1.0,
                                                                                     last_paid_at=NOW - timedelta(1)),
                 recent_methods=("wechatpay", "wallet", "wallet"))
    assert rank_methods(tie).first.method == "wechatpay"
    assert rank_methods(tie).first.reason == "最近 3 次中有 1 次用微信支付"


def test_rule_one_comes_before_everything():
    low = rank_methods(inputs(wallet=MethodFacts("wallet", score=3.0), wallet_balance_fen=2999))
    assert order_of(low) == [("wechatpay", "BALANCE_LOW"), ("wallet", "BALANCE_LOW")]
    assert low.alternatives[0].reason == "余额 ¥29.99，低于您通常的订单金额 ¥30.00"
    degraded = rank_methods(inputs(MethodFacts("wechatpay", score=3.0, attempts=20, failures=4), paid_orders=0))
    assert order_of(degraded) == [("wallet", "METHOD_DEGRADED"), ("wechatpay", "METHOD_DEGRADED")]
    assert degraded.first.reason == "微信支付当前繁忙，建议使用余额"
    healthy = rank_methods(inputs(MethodFacts("wechatpay", score=3.0, attempts=20, failures=3)))
    assert healthy.first.method == "wechatpay"  # 15 % is not degraded
    few = rank_methods(inputs(MethodFacts("wechatpay", score=3.0, attempts=19, failures=19)))
    assert few.first.method == "wechatpay"  # too few attempts to judge
    failed = rank_methods(inputs(wallet=MethodFacts("wallet", score=3.0, last_failure_code="WALLET_PIN_LOCKED",
                                                    last_failure_at=NOW - timedelta(minutes=9, seconds=59))))
    assert order_of(failed) == [("wechatpay", "RECENT_FAILURE"), ("wallet", "RECENT_FAILURE")]
    assert failed.alternatives[0].reason == "余额支付刚才未成功（钱包已锁定）"
    past = rank_methods(inputs(wallet=MethodFacts("wallet", score=3.0, last_failure_code="WALLET_PIN_WRONG",
                                                  last_failure_at=NOW - timedelta(minutes=10))))
    assert past.first.method == "wallet"


def test_a_short_wallet_goes_after_a_degraded_method():
    both = rank_methods(inputs(MethodFacts("wechatpay", attempts=40, failures=40),
                               MethodFacts("wallet", score=2.0), wallet_balance_fen=0))
    assert order_of(both) == [("wechatpay", "BALANCE_LOW"), ("wallet", "BALANCE_LOW")]


def test_a_promotion_bound_to_another_usable_method_decides_from_five_percent():
    def result(saving: int):
        return rank_methods(inputs(MethodFacts("wechatpay", score=2.0, payable_fen=10000),
                                   MethodFacts("wallet", score=1.0, payable_fen=10000 - saving), cart_total_fen=10000))
    assert order_of(result(500)) == [("wallet", "PROMOTION"), ("wechatpay", "HABIT")]
    assert result(500).first.reason == "余额支付立减 ¥5.00"
    assert order_of(result(499)) == [("wechatpay", "HABIT"), ("wallet", "PROMOTION")]
    assert result(499).alternatives[0].reason == "余额支付立减 ¥4.99"


def test_the_default_decides_unless_rule_one_sets_it_aside():
    habit = rank_methods(inputs(wallet=MethodFacts("wallet", score=2.0)))
    chosen = with_default(habit, "wechatpay")
    assert order_of(chosen) == [("wechatpay", "USER_DEFAULT"), ("wallet", "HABIT")]
    assert with_default(habit, None) is habit
    low = rank_methods(inputs(wallet=MethodFacts("wallet", score=2.0), wallet_balance_fen=0))
    aside = with_default(low, "wallet")
    assert order_of(aside) == [("wechatpay", "BALANCE_LOW"), ("wallet", "BALANCE_LOW")]
    assert aside.first.reason == "余额不足，推荐微信支付"


def test_the_wallet_can_pay_only_what_it_covers_unlocked_and_with_a_pin_or_under_the_free_limit():
    assert wallet_can_pay(1000, 1000, pin_set=True, pin_free_limit_fen=0, locked=False)
    assert not wallet_can_pay(999, 1000, pin_set=True, pin_free_limit_fen=0, locked=False)
    assert not wallet_can_pay(5000, 1000, pin_set=True, pin_free_limit_fen=0, locked=True)
    assert not wallet_can_pay(5000, 1000, pin_set=False, pin_free_limit_fen=0, locked=False)
    assert wallet_can_pay(5000, 1000, pin_set=False, pin_free_limit_fen=1000, locked=False)
    assert helpful_remedy("WALLET_PIN_LOCKED", "wechatpay") == "可改用微信支付，或15分钟后再试"
    assert helpful_remedy("WALLET_PIN_LOCKED", None) == "请15分钟后再试"
    assert yuan(1200) == "¥12.00" and yuan(5) == "¥0.05"


def _offer(promotion_id: str, discount: int | None = None, shortfall: int | None = None,
           kind: str = "amount_off") -> Offer:
    return Offer(promotion_id, f"活动{promotion_id}", kind, "理由", False, discount, shortfall)


def test_offers_rank_by_saving_and_hint_thresholds_within_thirty_percent():
    on_cart = [_offer("a", 100), _offer("b", 300), _offer("t", 0, 1200, "threshold"), _offer("u", 0, 1201,
                                                                                               "threshold")]
    views = rank_offers([], on_cart=on_cart, cart_total_fen=4000, amounts_off={"t": 2000, "u": 500})
    assert [view["id"] for view in views] == ["b", "a", "t", "u"]
    assert views[2]["hint"] == "再买 ¥12.00 可减 ¥20.00"
    assert "hint" not in views[3] and views[3]["shortfall_fen"] == 1201
    usable = [_offer(str(n)) for n in range(7)]
    ranked = rank_offers(usable, basket_savings={"6": 50, "3": 80})
    assert [view["id"] for view in ranked] == ["3", "6", "0", "1", "2"]
    assert set(ranked[0]) == {"id", "name", "kind", "reason"}


def test_the_typical_basket_shares_the_typical_payable_by_category_spend():
    categories = [ItemAggregate("category", "咖啡", spent_fen=3000), ItemAggregate("category", "茶", spent_fen=1000)]
    basket = typical_basket(categories, 2000)
    assert [(line.category, line.unit_price_fen) for line in basket] == [("咖啡", 1500), ("茶", 500)]
    assert typical_basket(categories, None) == [] and typical_basket([], 2000) == []


def _bought(key: str, count: int, every_days: float, last_days_ago: float) -> ItemAggregate:
    last = NOW - timedelta(days=last_days_ago)
    return ItemAggregate(PRODUCT, key, orders_count=count, first_bought_at=last - timedelta(days=every_days * (count - 1)),
                         last_bought_at=last)


def test_buy_again_puts_what_is_due_first_then_the_most_bought():
    bought = [_bought("soon", 3, 7, 6), _bought("fresh", 9, 7, 1), _bought("due", 2, 30, 30),
              _bought("late", 4, 2, 9), _bought("once", 1, 0, 3), _bought("gone", 5, 7, 7)]
    catalog = {key: ProductFacts(key, key.upper(), 100, True, 10) for key in ("soon", "fresh", "due", "late", "once")}
    catalog["gone"] = ProductFacts("gone", "GONE", 100, True, 0)
    views = rank_buy_again(bought, catalog, NOW)
    assert [view["product_id"] for view in views] == ["due", "soon", "fresh", "late"]
    assert views[1]["reason"] == "您通常每 7 天购买一次，距上次已 6 天"
    assert views[1]["due_in_days"] == 1 and views[3]["due_in_days"] == -7
    assert [v["product_id"] for v in rank_buy_again(bought, catalog, NOW, frozenset({"due"}))][0] == "soon"

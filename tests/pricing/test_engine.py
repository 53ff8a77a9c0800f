"""Amounts, selection, per-user limits, budgets, the payable floor and validation of the pricing engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.pricing import CartLine, PriceResult, SkipReason, price
from tests.pricing.factories import EPOCH, ctx, line, promo


def skip_reasons(result: PriceResult) -> dict[str, SkipReason]:
    return {skipped.promotion_id: skipped.reason for skipped in result.skipped}


def applied(result: PriceResult) -> list[tuple[str, int]]:
    return [(discount.promotion_id, discount.amount_fen) for discount in result.discounts]


def assert_all_int(result: PriceResult) -> None:
    values = [result.items_total_fen, result.discount_fen, result.payable_fen]
    values += [d.amount_fen for d in result.discounts]
    values += [v for ln in result.lines for v in (ln.unit_price_fen, ln.quantity, ln.line_total_fen)]
    assert all(type(value) is int for value in values)


# --- lines and totals ---

def test_lines_totals_and_contract_json():
    result = price([line("a", 1250, 3), line("b", 990, 2, "烘焙")], [], ctx())
    assert result.items_total_fen == 5730
    assert result.discount_fen == 0 and result.payable_fen == 5730 and result.discounts == ()
    assert result.to_dict() == {
        "lines": [
            {"product_id": "a", "name": "商品a", "category": "咖啡", "unit_price_fen": 1250, "quantity": 3, "line_total_fen": 3750},
            {"product_id": "b", "name": "商品b", "category": "烘焙", "unit_price_fen": 990, "quantity": 2, "line_total_fen": 1980},
        ],
        "items_total_fen": 5730,
        "discounts": [],
        "discount_fen": 0,
        "payable_fen": 5730,
    }


def test_discount_json_has_the_contract_fields():
    result = price([line(unit_price_fen=12000)], [promo("t", "threshold", amount_off_fen=2000, threshold_fen=10000)], ctx())
    assert result.to_dict()["discounts"] == [{"promotion_id": "t", "name": "活动t", "amount_fen": 2000, "reason": "满100减20"}]
    assert result.to_dict()["payable_fen"] == 10000


# --- each kind ---

@pytest.mark.parametrize(
    ("amount_off_fen", "subtotal", "expected"),
    [(500, 1000, 500), (1000, 1000, 999), (1500, 1000, 999), (1, 1000, 1)],
)
def test_amount_off_never_more_than_subtotal_and_payable_stays_one(amount_off_fen, subtotal, expected):
    result = price([line(unit_price_fen=subtotal)], [promo(amount_off_fen=amount_off_fen)], ctx())
    assert applied(result) == [("p1", expected)]
    assert result.payable_fen == subtotal - expected


def test_amount_off_is_limited_to_its_categories_subtotal():
    lines = [line("latte", 300, 1, "咖啡"), line("bread", 5000, 1, "烘焙")]
    result = price(lines, [promo(amount_off_fen=1000, categories=("咖啡",))], ctx())
    assert applied(result) == [("p1", 300)]
    assert result.payable_fen == 5000


@pytest.mark.parametrize(
    ("subtotal", "percent", "expected"),
    [(1000, 10, 100), (999, 10, 99), (199, 5, 9), (19, 5, 0), (20, 5, 1), (12345, 15, 1851), (100, 99, 99), (3333, 33, 1099)],
)
def test_percent_off_floors_in_integer_fen(subtotal, percent, expected):
    result = price([line(unit_price_fen=subtotal)], [promo(kind="percent_off", percent_off=percent)], ctx())
    assert result.discount_fen == expected
    assert_all_int(result)
    if expected == 0:
        assert skip_reasons(result) == {"p1": SkipReason.ZERO_DISCOUNT}


def test_percent_off_on_large_amounts_is_exact():
    # 10**17 fen × 7 / 100 loses precision in a float; integer arithmetic does not.
    result = price([line(unit_price_fen=10**17 + 99)], [promo(kind="percent_off", percent_off=7)], ctx())
    assert result.discount_fen == (10**17 + 99) * 7 // 100 == 7000000000000006


@pytest.mark.parametrize(("subtotal", "given"), [(9999, 0), (10000, 2000), (10001, 2000)])
def test_threshold_applies_when_the_subtotal_reaches_it(subtotal, given):
    rule = promo("t", "threshold", amount_off_fen=2000, threshold_fen=10000)
    result = price([line(unit_price_fen=subtotal)], [rule], ctx())
    assert result.discount_fen == given
    if given == 0:
        (skipped,) = result.skipped
        assert (skipped.reason, skipped.shortfall_fen, skipped.amount_fen) == (SkipReason.THRESHOLD_NOT_MET, 1, 2000)


def test_threshold_counts_only_its_categories():
    lines = [line("latte", 6000, 1, "咖啡"), line("bread", 6000, 1, "烘焙")]
    rule = promo("t", "threshold", amount_off_fen=2000, threshold_fen=10000, categories=("咖啡",))
    result = price(lines, [rule], ctx())
    assert result.discount_fen == 0
    assert result.skipped[0].shortfall_fen == 4000
    result = price(lines + [line("mocha", 2000, 2, "咖啡")], [rule], ctx())
    assert result.discount_fen == 2000


def test_threshold_larger_than_its_subtotal_is_clamped():
    result = price([line(unit_price_fen=1000), line("b", 5000, 1, "烘焙")],
                   [promo("t", "threshold", amount_off_fen=3000, threshold_fen=500, categories=("咖啡",))], ctx())
    assert applied(result) == [("t", 1000)]


# --- selection ---

def test_best_non_stackable_wins():
    rules = [promo("small", amount_off_fen=300), promo("big", amount_off_fen=800), promo("pct", "percent_off", percent_off=5)]
    result = price([line(unit_price_fen=10000)], rules, ctx())
    assert applied(result) == [("big", 800)]
    assert skip_reasons(result) == {"small": SkipReason.NOT_BEST, "pct": SkipReason.NOT_BEST}


def test_tie_on_amount_goes_to_higher_priority():
    rules = [promo("low", priority=1), promo("high", priority=5)]
    assert applied(price([line()], rules, ctx())) == [("high", 500)]


def test_tie_on_amount_and_priority_goes_to_older():
    rules = [promo("new", created_at=EPOCH + timedelta(days=1)), promo("old", created_at=EPOCH)]
    assert applied(price([line()], rules, ctx())) == [("old", 500)]


def test_full_tie_goes_to_smaller_id_whatever_the_input_order():
    for rules in ([promo("b"), promo("a")], [promo("a"), promo("b")]):
        assert applied(price([line()], rules, ctx())) == [("a", 500)]


def test_largest_discount_beats_priority():
    rules = [promo("prio", amount_off_fen=100, priority=99), promo("amount", amount_off_fen=101, priority=0)]
    assert applied(price([line()], rules, ctx())) == [("amount", 101)]


def test_stackables_follow_the_best_non_stackable_by_descending_priority():
    rules = [
        promo("s_low", amount_off_fen=100, stackable=True, priority=1),
        promo("n", amount_off_fen=1000),
        promo("s_high", kind="percent_off", percent_off=10, stackable=True, priority=9),
        promo("s_mid_new", amount_off_fen=200, stackable=True, priority=5, created_at=EPOCH + timedelta(hours=1)),
        promo("s_mid_old", amount_off_fen=300, stackable=True, priority=5),
    ]
    result = price([line(unit_price_fen=10000)], rules, ctx())
    # Every amount is on the original subtotal (10000): the 10% is 1000, not 10% of 9000.
    assert applied(result) == [("n", 1000), ("s_high", 1000), ("s_mid_old", 300), ("s_mid_new", 200), ("s_low", 100)]
    assert result.discount_fen == 2600 and result.payable_fen == 7400


def test_stackables_alone_without_non_stackable():
    rules = [promo("a", stackable=True, amount_off_fen=100), promo("b", stackable=True, amount_off_fen=200, priority=1)]
    assert applied(price([line()], rules, ctx())) == [("b", 200), ("a", 100)]


def test_duplicate_promotion_is_applied_once():
    rule = promo("s", stackable=True)
    result = price([line()], [rule, rule], ctx())
    assert applied(result) == [("s", 500)]
    assert [s.reason for s in result.skipped] == [SkipReason.DUPLICATE]


# --- per-user limit and budget ---

@pytest.mark.parametrize(("uses", "limit", "is_applied"), [(0, 1, True), (1, 1, False), (2, 3, True), (3, 3, False), (5, 3, False), (0, 0, False)])
def test_per_user_limit(uses, limit, is_applied):
    result = price([line()], [promo(per_user_limit=limit)], ctx(uses={"p1": uses}))
    assert bool(result.discounts) is is_applied
    if not is_applied:
        assert skip_reasons(result) == {"p1": SkipReason.PER_USER_LIMIT}


def test_per_user_limit_counts_only_that_promotion():
    result = price([line()], [promo(per_user_limit=1)], ctx(uses={"other": 9}))
    assert result.discount_fen == 500


def test_used_up_best_falls_back_to_the_next_non_stackable():
    rules = [promo("big", amount_off_fen=800, per_user_limit=1), promo("small", amount_off_fen=300)]
    result = price([line(unit_price_fen=5000)], rules, ctx(uses={"big": 1}))
    assert applied(result) == [("small", 300)]


@pytest.mark.parametrize(("budget", "is_applied"), [(None, True), (500, True), (10**6, True), (499, False), (0, False), (-5, False)])
def test_budget_below_the_discount_skips_never_partial(budget, is_applied):
    result = price([line()], [promo(amount_off_fen=500, budget_remaining_fen=budget, stackable=True)], ctx())
    assert applied(result) == ([("p1", 500)] if is_applied else [])
    if not is_applied:
        assert result.skipped[0].reason == SkipReason.BUDGET and result.skipped[0].amount_fen == 500


def test_budget_is_compared_with_the_amount_this_cart_gets():
    # 10% of 3000 is 300: a budget of 300 covers it even though another cart could take more.
    result = price([line(unit_price_fen=3000)], [promo(kind="percent_off", percent_off=10, budget_remaining_fen=300)], ctx())
    assert result.discount_fen == 300


def test_budget_exhausted_best_falls_back_to_the_next_non_stackable():
    rules = [promo("big", amount_off_fen=800, budget_remaining_fen=700), promo("small", amount_off_fen=300)]
    assert applied(price([line(unit_price_fen=5000)], rules, ctx())) == [("small", 300)]


# --- payable at least 1 ---

def test_cap_reduces_the_last_applied_discounts_first():
    rules = [
        promo("n", amount_off_fen=600),
        promo("s1", amount_off_fen=300, stackable=True, priority=2),
        promo("s2", amount_off_fen=200, stackable=True, priority=1),
    ]
    result = price([line(unit_price_fen=1000)], rules, ctx())
    assert applied(result) == [("n", 600), ("s1", 300), ("s2", 99)]
    assert result.payable_fen == 1 and result.discount_fen == 999


def test_cap_drops_discounts_that_would_give_nothing():
    rules = [promo("n", amount_off_fen=1000), promo("s", amount_off_fen=200, stackable=True)]
    result = price([line(unit_price_fen=1000)], rules, ctx())
    assert applied(result) == [("n", 999)]
    assert skip_reasons(result) == {"s": SkipReason.PAYABLE_FLOOR}
    assert result.payable_fen == 1


def test_one_fen_cart_gets_no_discount():
    result = price([line(unit_price_fen=1)], [promo(amount_off_fen=1), promo("s", stackable=True)], ctx())
    assert result.discounts == () and result.payable_fen == 1
    assert skip_reasons(result) == {"p1": SkipReason.PAYABLE_FLOOR, "s": SkipReason.PAYABLE_FLOOR}


def test_zero_total_cart_has_no_discount_and_pays_zero():
    result = price([line(unit_price_fen=0, quantity=3)], [promo(), promo("pct", "percent_off")], ctx())
    assert (result.items_total_fen, result.discount_fen, result.payable_fen) == (0, 0, 0)
    assert result.discounts == ()


def test_sum_invariant_after_cap():
    rules = [promo(f"s{i}", amount_off_fen=333, stackable=True, priority=i) for i in range(5)]
    result = price([line(unit_price_fen=1000)], rules, ctx())
    assert sum(d.amount_fen for d in result.discounts) == result.discount_fen == result.items_total_fen - result.payable_fen
    assert applied(result) == [("s4", 333), ("s3", 333), ("s2", 333)]


# --- validation ---

@pytest.mark.parametrize(
    "bad",
    [
        CartLine("a", "a", "c", 100, 0),
        CartLine("a", "a", "c", 100, -1),
        CartLine("a", "a", "c", -1, 1),
        CartLine("a", "a", "c", 100.0, 1),
        CartLine("a", "a", "c", 100, 1.0),
        CartLine("a", "a", "c", True, 1),
        CartLine("a", "a", "c", 100, True),
        CartLine("a", "a", "c", "100", 1),
    ],
)
def test_invalid_lines_are_refused(bad):
    with pytest.raises(ValueError):
        price([bad], [], ctx())


def test_empty_cart_is_refused():
    with pytest.raises(ValueError):
        price([], [], ctx())


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        price([line()], [], ctx(now=EPOCH.replace(tzinfo=None)))


@pytest.mark.parametrize(
    "overrides",
    [
        dict(kind="bogus"),
        dict(amount_off_fen=None),
        dict(amount_off_fen=5.0),
        dict(amount_off_fen=0),
        dict(amount_off_fen=True),
        dict(kind="percent_off", percent_off=0),
        dict(kind="percent_off", percent_off=100),
        dict(kind="percent_off", percent_off=9.5),
        dict(kind="threshold", threshold_fen=None),
        dict(budget_remaining_fen=100.0),
        dict(created_at=EPOCH.replace(tzinfo=None)),
        dict(hours_from="8am"),
        dict(hours_to="25:00"),
    ],
)
def test_malformed_rules_are_skipped_not_applied(overrides):
    kind = overrides.pop("kind", "amount_off")
    result = price([line()], [promo("bad", kind, **overrides), promo("ok", amount_off_fen=100)], ctx())
    assert applied(result) == [("ok", 100)]
    assert skip_reasons(result)["bad"] == SkipReason.INVALID_RULE

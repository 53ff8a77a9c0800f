"""Conditions of a promotion: time window, local hours (across midnight too), method, city, new user, categories."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.pricing import SkipReason, price
from tests.pricing.factories import NOW, ctx, line, promo, shanghai


def outcome(rule, context=None, lines=None) -> SkipReason | None:
    """None when the rule was applied, else why it was skipped."""
    result = price(lines or [line()], [rule], context or ctx())
    if result.discounts:
        return None
    return result.skipped[0].reason


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        (None, None, None),
        (NOW, None, None),
        (NOW + timedelta(microseconds=1), None, SkipReason.OUTSIDE_WINDOW),
        (None, NOW, SkipReason.OUTSIDE_WINDOW),
        (None, NOW + timedelta(microseconds=1), None),
        (NOW - timedelta(days=1), NOW + timedelta(days=1), None),
        (NOW - timedelta(days=2), NOW - timedelta(days=1), SkipReason.OUTSIDE_WINDOW),
    ],
)
def test_time_window_is_start_inclusive_end_exclusive(starts, ends, expected):
    assert outcome(promo(starts_at=starts, ends_at=ends)) == expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((7, 59, 59), SkipReason.NOT_IN_HOURS),
        ((8, 0, 0), None),
        ((10, 59, 59), None),
        ((11, 0, 0), SkipReason.NOT_IN_HOURS),
        ((23, 0, 0), SkipReason.NOT_IN_HOURS),
    ],
)
def test_hours_in_local_time_from_inclusive_to_exclusive(local, expected):
    rule = promo(hours_from="08:00", hours_to="11:00")
    assert outcome(rule, ctx(now=shanghai(*local))) == expected


def test_hours_are_shanghai_time_not_utc():
    rule = promo(hours_from="08:00", hours_to="11:00")
    # 09:00 UTC is 17:00 in Shanghai; 01:00 UTC is 09:00 there.
    assert outcome(rule, ctx(now=NOW.replace(hour=9))) == SkipReason.NOT_IN_HOURS
    assert outcome(rule, ctx(now=NOW.replace(hour=1))) is None


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((21, 59, 59), SkipReason.NOT_IN_HOURS),
        ((22, 0, 0), None),
        ((23, 59, 59), None),
        ((0, 0, 0), None),
        ((1, 59, 59), None),
        ((2, 0, 0), SkipReason.NOT_IN_HOURS),
        ((12, 0, 0), SkipReason.NOT_IN_HOURS),
    ],
)
def test_hours_across_midnight(local, expected):
    rule = promo(hours_from="22:00", hours_to="02:00")
    assert outcome(rule, ctx(now=shanghai(*local))) == expected


@pytest.mark.parametrize(
    ("hours_from", "hours_to", "local", "expected"),
    [
        ("00:00", "24:00", (23, 59, 59), None),
        ("09:00", "09:00", (3, 0, 0), None),
        ("18:00", None, (17, 59, 0), SkipReason.NOT_IN_HOURS),
        ("18:00", None, (23, 59, 59), None),
        (None, "09:30", (9, 29, 59), None),
        (None, "09:30", (9, 30, 0), SkipReason.NOT_IN_HOURS),
        ("8:00", "9:00", (8, 30, 0), None),
    ],
)
def test_hours_edge_forms(hours_from, hours_to, local, expected):
    rule = promo(hours_from=hours_from, hours_to=hours_to)
    assert outcome(rule, ctx(now=shanghai(*local))) == expected


@pytest.mark.parametrize(
    ("methods", "method", "expected"),
    [
        ((), "wallet", None),
        (("wallet",), "wallet", None),
        (("wallet",), "wechatpay", SkipReason.WRONG_PAYMENT_METHOD),
        (("wallet", "wechatpay"), "wechatpay", None),
    ],
)
def test_payment_method(methods, method, expected):
    assert outcome(promo(payment_methods=methods), ctx(payment_method=method)) == expected


@pytest.mark.parametrize(
    ("cities", "city", "expected"),
    [
        ((), None, None),
        ((), "北京市", None),
        (("广州市",), "广州市", None),
        (("广州市", "深圳市"), "深圳市", None),
        (("广州市",), "北京市", SkipReason.CITY),
        (("广州市",), None, SkipReason.CITY),
        (("广州市",), "广州", SkipReason.CITY),
        (("广州市",), " 广州市 ", None),
    ],
)
def test_cities_match_the_address_city(cities, city, expected):
    assert outcome(promo(cities=cities), ctx(city=city)) == expected


@pytest.mark.parametrize(("only", "is_new", "expected"), [(True, True, None), (True, False, SkipReason.NEW_USER_ONLY), (False, False, None)])
def test_new_user_only(only, is_new, expected):
    assert outcome(promo(new_user_only=only), ctx(is_new_user=is_new)) == expected


def test_categories_apply_to_their_lines_only():
    lines = [line("latte", 2000, 2, "咖啡"), line("bread", 1500, 1, "烘焙"), line("tea", 800, 1, "茶饮")]
    rule = promo(kind="percent_off", percent_off=20, categories=("咖啡", "茶饮"))
    result = price(lines, [rule], ctx())
    assert result.discount_fen == (4000 + 800) * 20 // 100 == 960
    assert result.payable_fen == 6300 - 960


def test_categories_with_no_line_in_the_cart():
    assert outcome(promo(categories=("茶饮",))) == SkipReason.NO_MATCHING_LINES


def test_first_failing_condition_is_reported():
    rule = promo(ends_at=NOW, payment_methods=("wallet",), cities=("北京市",), new_user_only=True)
    assert outcome(rule) == SkipReason.OUTSIDE_WINDOW
    rule = promo(payment_methods=("wallet",), cities=("北京市",), new_user_only=True, per_user_limit=0)
    assert outcome(rule) == SkipReason.WRONG_PAYMENT_METHOD
    assert outcome(rule, ctx(payment_method="wallet")) == SkipReason.CITY
    assert outcome(rule, ctx(payment_method="wallet", city="北京市")) == SkipReason.NEW_USER_ONLY
    assert outcome(rule, ctx(payment_method="wallet", city="北京市", is_new_user=True)) == SkipReason.PER_USER_LIMIT

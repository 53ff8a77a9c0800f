"""Human texts: yuan formatting without floats, 折 figures and the reason of each discount."""

from __future__ import annotations

import pytest

from app.pricing import format_yuan, price, promotion_reason, zhe
from tests.pricing.factories import ctx, line, promo


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0"), (1, "0.01"), (5, "0.05"), (10, "0.1"), (99, "0.99"), (100, "1"), (990, "9.9"), (999, "9.99"),
     (1000, "10"), (2000, "20"), (1234, "12.34"), (10050, "100.5"), (123456789, "1234567.89"), (-150, "-1.5")],
)
def test_format_yuan(fen, text):
    assert format_yuan(fen) == text


@pytest.mark.parametrize("bad", [1.0, True, "100", None])
def test_format_yuan_refuses_non_integers(bad):
    with pytest.raises(ValueError):
        format_yuan(bad)


@pytest.mark.parametrize(
    ("percent", "text"),
    [(5, "95折"), (10, "9折"), (15, "85折"), (20, "8折"), (25, "75折"), (50, "5折"), (1, "99折"), (90, "1折"),
     (95, "0.5折"), (99, "0.1折")],
)
def test_zhe(percent, text):
    assert zhe(percent) == text


@pytest.mark.parametrize(
    ("kind", "overrides", "text"),
    [
        ("threshold", dict(threshold_fen=10000, amount_off_fen=2000), "满100减20"),
        ("threshold", dict(threshold_fen=5990, amount_off_fen=990), "满59.9减9.9"),
        ("percent_off", dict(percent_off=5, payment_methods=("wallet",)), "钱包支付95折"),
        ("percent_off", dict(percent_off=10), "9折"),
        ("percent_off", dict(percent_off=15, payment_methods=("wechatpay",)), "微信支付85折"),
        ("amount_off", dict(amount_off_fen=1000, new_user_only=True), "新用户立减10元"),
        ("amount_off", dict(amount_off_fen=990), "立减9.9元"),
        ("threshold", dict(threshold_fen=3000, amount_off_fen=500, categories=("咖啡",)), "咖啡类商品满30减5"),
        ("amount_off", dict(amount_off_fen=300, cities=("广州市",)), "广州市立减3元"),
        ("percent_off", dict(percent_off=20, hours_from="22:00", hours_to="02:00"), "22:00-02:00时段8折"),
        ("amount_off", dict(amount_off_fen=500, payment_methods=("wallet", "wechatpay")), "钱包支付或微信支付立减5元"),
    ],
)
def test_promotion_reason(kind, overrides, text):
    assert promotion_reason(promo(kind=kind, **overrides)) == text


def test_applied_discount_carries_the_reason():
    rule = promo(kind="percent_off", percent_off=5, payment_methods=("wallet",))
    (discount,) = price([line(unit_price_fen=2000)], [rule], ctx(payment_method="wallet")).discounts
    assert (discount.amount_fen, discount.reason, discount.name) == (100, "钱包支付95折", "活动p1")

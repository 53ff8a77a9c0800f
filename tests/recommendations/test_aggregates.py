"""The folds of app/recommendations/aggregates.py, apart from any I/O."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from app.recommendations.aggregates import (
    CATEGORY, PRODUCT, History, PaidLine, PaidOrder, PaymentFailure, UserAggregate, apply_failure, apply_paid,
    decayed,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)  # 20:00 in Asia/Shanghai


def order(n: int, *, days: float = 0, method: str = "wallet", payable: int = 1000,
          lines: tuple[PaidLine, ...] = (PaidLine("latte", "咖啡", 1, 1000),), city: str | None = "广州市") -> PaidOrder:
    return PaidOrder(f"ord_{n:04d}", method, payable, T0 + timedelta(days=days), lines, city)


def folded(orders) -> History:
    history = History(UserAggregate("usr_1"))
    for paid in orders:
        apply_paid(history, paid)
    return history


def test_the_score_halves_every_thirty_days_without_being_rewritten():
    history = folded([order(1)])
    wallet = history.methods["wallet"]
    assert (wallet.score, wallet.score_at) == (1.0, T0)
    assert wallet.score_now(T0 + timedelta(days=30)) == pytest.approx(0.5)
    assert wallet.score_now(T0 + timedelta(days=60)) == pytest.approx(0.25)
    history = folded([order(1), order(2, days=30)])
    assert history.methods["wallet"].score == pytest.approx(1.5)
    assert history.methods["wallet"].score_at == T0 + timedelta(days=30)


def test_the_aggregates_do_not_depend_on_the_order_the_orders_arrive_in():
    rng = random.Random(7)
    orders = [order(n, days=rng.uniform(0, 120), method=rng.choice(["wallet", "wechatpay"]),
                    payable=rng.randint(100, 9000),
                    lines=(PaidLine(rng.choice("abc"), rng.choice(["咖啡", "茶"]), 1, 500),)) for n in range(30)]
    in_time = folded(sorted(orders, key=lambda o: o.paid_at))
    shuffled = folded(rng.sample(orders, len(orders)))
    assert shuffled.user == in_time.user
    assert shuffled.items == in_time.items
    for method, aggregate in in_time.methods.items():
        other = shuffled.methods[method]
        assert other.score_now(T0) == pytest.approx(aggregate.score_now(T0))
        assert (other.paid_count, other.last_paid_at) == (aggregate.paid_count, aggregate.last_paid_at)


def test_items_count_distinct_orders_and_their_mean_interval():
    two_lattes = (PaidLine("latte", "咖啡", 2, 2000), PaidLine("mocha", "咖啡", 1, 1200))
    history = folded([order(1, lines=two_lattes), order(2, days=6), order(3, days=14)])
    latte = history.items[(PRODUCT, "latte")]
    assert (latte.orders_count, latte.quantity, latte.spent_fen) == (3, 4, 4000)
    assert latte.mean_interval() == timedelta(days=7)
    coffee = history.items[(CATEGORY, "咖啡")]
    assert (coffee.orders_count, coffee.spent_fen) == (3, 5200)
    assert history.items[(PRODUCT, "mocha")].mean_interval() is None  # one order says nothing of a rhythm


def test_the_user_keeps_the_last_ten_payables_their_hours_and_latest_city():
    orders = [order(n, days=n, payable=100 * n, city="北京市" if n == 11 else "广州市") for n in range(1, 13)]
    orders[-1] = order(12, days=12, payable=1200, city=None)
    history = folded(orders)
    user = history.user
    assert [p.payable_fen for p in user.recent] == [300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200]
    assert user.typical_payable_fen() == 700  # the lower median of ten
    assert user.hour_histogram[20] == 12 and sum(user.hour_histogram) == 12
    assert (user.city, user.paid_orders) == ("北京市", 12)  # the latest order with a city
    assert user.recent_methods()[0] == "wallet"


def test_the_latest_failure_is_kept_however_often_or_late_one_arrives():
    history = History(UserAggregate("usr_1"))
    late = PaymentFailure("wallet", "WALLET_PIN_WRONG", T0 + timedelta(minutes=5))
    early = PaymentFailure("wallet", "PAYMENT_INSUFFICIENT_BALANCE", T0)
    for failure in (late, early, late):
        apply_failure(history, failure)
    wallet = history.methods["wallet"]
    assert (wallet.last_failure_code, wallet.last_failure_at) == ("WALLET_PIN_WRONG", late.at)


def test_decay_of_nothing_is_nothing():
    assert decayed(3.0, None, T0) == 0.0

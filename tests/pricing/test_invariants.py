"""Invariant sweep over thousands of seeded random carts, promotion sets and contexts."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.pricing import PricingContext, SkipReason, price
from tests.pricing.factories import EPOCH, NOW, line, promo

CASES_PER_CHUNK = 500
CHUNKS = 10
CATEGORIES = ("咖啡", "烘焙", "茶饮")
CITIES = ("广州市", "深圳市", None)
METHODS = ("wechatpay", "wallet")


def random_rule(rng: random.Random, index: int):
    kind = rng.choice(("amount_off", "percent_off", "threshold"))
    fields = dict(
        priority=rng.randint(0, 3),
        stackable=rng.random() < 0.5,
        created_at=EPOCH + timedelta(days=rng.randint(0, 2)),
        per_user_limit=rng.choice((None, None, 0, 1, 2)),
        budget_remaining_fen=rng.choice((None, None, 0, 100, 1000, 10**6)),
    )
    if kind == "percent_off":
        fields["percent_off"] = rng.choice((1, 5, 10, 15, 50, 99))
    else:
        fields["amount_off_fen"] = rng.choice((1, 99, 500, 1000, 5000, 100000))
    if kind == "threshold":
        fields["threshold_fen"] = rng.choice((0, 1000, 3000, 10000))
    if rng.random() < 0.2:
        fields["payment_methods"] = (rng.choice(METHODS),)
    if rng.random() < 0.2:
        fields["categories"] = tuple(rng.sample(CATEGORIES, rng.randint(1, 2)))
    if rng.random() < 0.15:
        fields["cities"] = ("广州市",)
    if rng.random() < 0.15:
        fields["new_user_only"] = True
    if rng.random() < 0.15:
        fields["hours_from"], fields["hours_to"] = rng.choice((("08:00", "11:00"), ("22:00", "02:00"), ("11:00", "14:00")))
    if rng.random() < 0.15:
        fields["starts_at"] = NOW + timedelta(hours=rng.randint(-48, 24))
        fields["ends_at"] = fields["starts_at"] + timedelta(hours=rng.randint(1, 48))
    return promo(f"r{index}", kind, **fields)


def random_case(rng: random.Random):
    lines = [
        line(f"p{i}", rng.choice((0, 1, 2, 99, 990, 1500, 3333, 12000)), rng.randint(1, 3), rng.choice(CATEGORIES))
        for i in range(rng.randint(1, 4))
    ]
    rules = [random_rule(rng, i) for i in range(rng.randint(0, 6))]
    if rules and rng.random() < 0.1:
        rules.append(rng.choice(rules))
    ids = [rule.id for rule in rules]
    context = PricingContext(
        now=NOW + timedelta(minutes=rng.randint(0, 24 * 60)),
        payment_method=rng.choice(METHODS),
        city=rng.choice(CITIES),
        is_new_user=rng.random() < 0.5,
        uses_by_promotion={promotion_id: rng.randint(0, 2) for promotion_id in ids if rng.random() < 0.5},
    )
    return lines, rules, context


def check_invariants(lines, rules, context) -> None:
    result = price(lines, rules, context)
    total = result.items_total_fen
    amounts = [d.amount_fen for d in result.discounts]
    by_id = {rule.id: rule for rule in rules}

    assert all(type(v) is int for v in [total, result.discount_fen, result.payable_fen, *amounts])
    assert total == sum(ln.unit_price_fen * ln.quantity for ln in lines)
    assert result.discount_fen == sum(amounts) == total - result.payable_fen
    assert 1 <= result.payable_fen <= total if total >= 1 else result.payable_fen == 0
    assert all(amount > 0 for amount in amounts)

    applied_ids = [d.promotion_id for d in result.discounts]
    assert len(applied_ids) == len(set(applied_ids))
    considered = {s.promotion_id for s in result.skipped if s.reason != SkipReason.DUPLICATE}
    assert considered.isdisjoint(applied_ids) and considered | set(applied_ids) == set(by_id)

    applied_rules = [by_id[i] for i in applied_ids]
    exclusive = [rule for rule in applied_rules if not rule.stackable]
    assert len(exclusive) <= 1
    if exclusive:
        assert not applied_rules[0].stackable
    stack_priorities = [rule.priority for rule in applied_rules if rule.stackable]
    assert stack_priorities == sorted(stack_priorities, reverse=True)

    for rule, discount in zip(applied_rules, result.discounts):
        assert rule.budget_remaining_fen is None or discount.amount_fen <= rule.budget_remaining_fen
        assert rule.per_user_limit is None or context.uses_by_promotion.get(rule.id, 0) < rule.per_user_limit

    if exclusive:
        given = result.discounts[0].amount_fen
        for skipped in result.skipped:
            if skipped.reason == SkipReason.NOT_BEST:
                assert min(skipped.amount_fen, total - 1) <= given

    # No compounding: each discount is what its promotion gives alone, only the last ones may be cut by the floor.
    alone = [price(lines, [rule], context).discount_fen for rule in applied_rules]
    assert all(given <= own for given, own in zip(amounts, alone))
    cut = [given < own for given, own in zip(amounts, alone)]
    assert sum(cut) <= 1 and (not any(cut) or cut[-1])

    shuffled = list(rules)
    random.Random(total).shuffle(shuffled)
    assert price(lines, shuffled, context).discounts == result.discounts


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_invariants_hold_for_random_carts(chunk):
    rng = random.Random(20250601 + chunk)
    for _ in range(CASES_PER_CHUNK):
        check_invariants(*random_case(rng))


def test_sweep_exercises_every_outcome():
    rng = random.Random(20250601)
    reasons, capped, stacked = set(), 0, 0
    for _ in range(CASES_PER_CHUNK * 2):
        lines, rules, context = random_case(rng)
        result = price(lines, rules, context)
        reasons |= {s.reason for s in result.skipped}
        capped += result.payable_fen == 1 and bool(result.discounts)
        stacked += len(result.discounts) >= 2
    assert reasons >= set(SkipReason) - {SkipReason.INVALID_RULE}
    assert capped > 10 and stacked > 10

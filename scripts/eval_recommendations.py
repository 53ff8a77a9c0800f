#!/usr/bin/env python3
"""Offline evaluation of the recommendations (issue 8): synthetic shoppers replayed through the service layer.

No server, no database: each user's purchases are folded into their aggregates with the same functions the outbox
consumers use (app/recommendations/aggregates.py `apply_paid`, `apply_failure`), and before each purchase the
recommendation is asked of the same pure code the API runs (app/recommendations/service.py `rank_for`, which
prices the cart with the pricing engine for each method, and ranking.py `rank_buy_again`). Nothing of the future
is seen: a decision at time t reads only what was folded before t.

The synthetic users (seeded, so every run prints the same figures):
- **Staples that come back**: each user has 3–8 staple products, each with its own period (2–30 days) and a
  ±25 % jitter; a shopping trip happens when a staple falls due, and takes every staple due within a day.
- **Habits that drift**: each user prefers WeChat Pay or the wallet, and with probability ½ switches preference
  once, somewhere between day 40 and day 140; a staple's period may change (×0.6–1.6) and a staple may be
  replaced by a new product, once each, in the same span.
- **Wallets that run low**: a wallet user tops up a fixed amount every 14–45 days; when the balance does not cover
  the cart, they pay with WeChat Pay.
- **A promotion**: from day 60 to day 90 the wallet takes 10 % off; price-sensitive users (40 %) pay with the
  wallet while it runs if their balance allows.
- **Failures**: 3 % of wallet payments start with a wrong PIN two minutes earlier, after which the user pays with
  WeChat Pay.
- **Noise**: 12 % of payments use the other method for no reason; 30 % of trips add a random product; on 3 % of
  days an impulse purchase of random products.

Measures, over every purchase after a user's first:
- method hit@1: the recommended method (asked with the cart, as a one-tap would) is the one paid with;
- buy-again hit@3: among purchases containing a product already bought in ≥ 2 earlier orders (the candidates of
  every ranking compared), one of the three recommended products (asked without a cart) is bought.
Baselines: the most frequent so far, and the most recent.

    .venv/bin/python scripts/eval_recommendations.py [--users 400] [--days 180] [--seed 8]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.pricing import CartLine, PricingContext, PromotionRule  # noqa: E402
from app.recommendations import ranking  # noqa: E402
from app.recommendations.aggregates import (  # noqa: E402
    History, PaidLine, PaidOrder, PaymentFailure, UserAggregate, apply_failure, apply_paid,
)
from app.recommendations.service import rank_for  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
CATEGORIES = ("咖啡", "茶饮", "烘焙", "零食", "乳品", "水果")
PROMOTION_DAYS = (60, 90)
WALLET_PROMOTION = PromotionRule(
    id="prm_wallet10", name="余额支付9折", kind="percent_off", amount_off_fen=None, percent_off=10,
    threshold_fen=None, priority=0, stackable=False, created_at=START, per_user_limit=None, budget_remaining_fen=None,
    payment_methods=("wallet",), starts_at=START + timedelta(days=PROMOTION_DAYS[0]),
    ends_at=START + timedelta(days=PROMOTION_DAYS[1]))
OTHER = {"wechatpay": "wallet", "wallet": "wechatpay"}


@dataclass
class Product:
    id: str
    category: str
    price_fen: int


@dataclass
class Staple:
    product: Product
    period_days: float
    next_at: float  # day


@dataclass
class Shopper:
    id: str
    preferred: str
    staples: list[Staple]
    top_up_every: float
    top_up_fen: int
    price_sensitive: bool
    switch_at: float | None
    drift_at: float | None
    balance_fen: int = 0
    next_top_up: float = 0.0
    history: History = field(default=None)  # type: ignore[assignment]


def make_catalog(rng: random.Random) -> list[Product]:
    return [Product(f"prd_{n:03d}", rng.choice(CATEGORIES), rng.randrange(500, 6000, 100)) for n in range(60)]


def make_shopper(rng: random.Random, n: int, catalog: list[Product]) -> Shopper:
    staples = [Staple(product, rng.uniform(2, 30), rng.uniform(0, 10))
               for product in rng.sample(catalog, rng.randint(3, 8))]
    wallet_user = rng.random() < 0.5
    shopper = Shopper(
        id=f"usr_{n:04d}", preferred="wallet" if wallet_user else "wechatpay", staples=staples,
        top_up_every=rng.uniform(14, 45), top_up_fen=rng.randrange(5000, 30000, 1000) if wallet_user else
        rng.choice((0, 0, 5000)), price_sensitive=rng.random() < 0.4,
        switch_at=rng.uniform(40, 140) if rng.random() < 0.5 else None,
        drift_at=rng.uniform(40, 140) if rng.random() < 0.6 else None)
    shopper.history = History(UserAggregate(shopper.id))
    return shopper


def drift(rng: random.Random, shopper: Shopper, day: float, catalog: list[Product]) -> None:
    if shopper.switch_at is not None and day >= shopper.switch_at:
        shopper.preferred, shopper.switch_at = OTHER[shopper.preferred], None
    if shopper.drift_at is not None and day >= shopper.drift_at:
        staple = rng.choice(shopper.staples)
        staple.period_days *= rng.uniform(0.6, 1.6)
        if rng.random() < 0.5:
            gone = rng.choice(shopper.staples)
            shopper.staples[shopper.staples.index(gone)] = Staple(rng.choice(catalog), rng.uniform(2, 30), day + 1)
        shopper.drift_at = None


def trips(rng: random.Random, shopper: Shopper, days: int, catalog: list[Product]):
    """(day, cart) for each shopping trip, in time order."""
    day = 0.0
    while day < days:
        due = min(staple.next_at for staple in shopper.staples)
        impulse = day + rng.expovariate(0.03)
        day = min(due, impulse)
        if day >= days:
            return
        drift(rng, shopper, day, catalog)
        if day == impulse and impulse < due:
            yield day, {product.id: (product, 1) for product in rng.sample(catalog, rng.randint(1, 2))}
            continue
        cart = {}
        for staple in shopper.staples:
            if staple.next_at <= day + 1:
                cart[staple.product.id] = (staple.product, rng.randint(1, 2))
                staple.next_at = day + staple.period_days * rng.uniform(0.75, 1.25)
        if rng.random() < 0.3:
            extra = rng.choice(catalog)
            cart.setdefault(extra.id, (extra, 1))
        yield day, cart


def lines_of(cart) -> list[CartLine]:
    return [CartLine(product.id, product.id, product.category, product.price_fen, quantity)
            for product, quantity in cart.values()]


def candidates(history: History) -> list:
    """What the service reads for buy-again: products of ≥ 2 orders, most recently bought first (at most 100)."""
    bought = [item for item in history.products() if item.orders_count >= 2]
    return sorted(bought, key=lambda item: item.last_bought_at, reverse=True)[:100]


@dataclass
class Tally:
    hits: Counter = field(default_factory=Counter)
    total: int = 0

    def add(self, **hits: bool) -> None:
        self.total += 1
        for name, hit in hits.items():
            self.hits[name] += bool(hit)

    def rate(self, name: str) -> float:
        return self.hits[name] / self.total if self.total else 0.0


def replay(shopper: Shopper, rng: random.Random, days: int, catalog: list[Product], method_tally: Tally,
           again_tally: Tally) -> None:
    by_id = {product.id: product for product in catalog}
    method_counts: Counter = Counter()
    last_method = None
    for n, (day, cart) in enumerate(trips(rng, shopper, days, catalog)):
        now = START + timedelta(days=day, hours=rng.choice((8, 9, 12, 13, 19, 20, 21)) - 8)
        while shopper.next_top_up <= day:
            shopper.balance_fen += shopper.top_up_fen
            shopper.next_top_up += shopper.top_up_every
        lines = lines_of(cart)
        rules = [WALLET_PROMOTION] if WALLET_PROMOTION.starts_at <= now < WALLET_PROMOTION.ends_at else []
        pricing = PricingContext(now=now, payment_method="wechatpay", city=None, is_new_user=n == 0)
        payable = {method: rank_price(lines, rules, pricing, method) for method in OTHER}

        # What the user does.
        method = shopper.preferred
        if rules and shopper.price_sensitive:
            method = "wallet"
        if rng.random() < 0.12:
            method = OTHER[method]
        failed = method == "wallet" and rng.random() < 0.03
        if method == "wallet" and (failed or shopper.balance_fen < payable["wallet"]):
            if failed:
                apply_failure(shopper.history, PaymentFailure("wallet", "WALLET_PIN_WRONG", now - timedelta(minutes=2)))
            method = "wechatpay"

        # What each ranking said before it happened.
        if n > 0:
            recommendation, _ = rank_for(shopper.history, lines, rules, pricing, shopper.balance_fen, {}, now)
            frequent = max(("wechatpay", "wallet"), key=lambda m: (method_counts[m], m == "wechatpay"))
            method_tally.add(recommender=recommendation.first.method == method, frequent=frequent == method,
                             recent=last_method == method)
            known = candidates(shopper.history)
            if set(cart) & {item.key for item in known}:
                catalog_facts = {p.id: ranking.ProductFacts(p.id, p.id, p.price_fen, True, 99) for p in catalog}
                top = [view["product_id"] for view in ranking.rank_buy_again(known, catalog_facts, now)[:3]]
                frequent3 = [i.key for i in sorted(known, key=lambda i: (-i.orders_count, i.key))[:3]]
                recent3 = [item.key for item in known[:3]]
                again_tally.add(recommender=set(top) & set(cart), frequent=set(frequent3) & set(cart),
                                recent=set(recent3) & set(cart))

        # The payment, folded as the order.paid consumer would.
        if method == "wallet":
            shopper.balance_fen -= payable["wallet"]
        paid = PaidOrder(f"ord_{shopper.id}_{n}", method, payable[method], now,
                         tuple(PaidLine(pid, by_id[pid].category, q, by_id[pid].price_fen * q)
                               for pid, (_, q) in cart.items()))
        apply_paid(shopper.history, paid)
        method_counts[method] += 1
        last_method = method


def rank_price(lines, rules, pricing, method) -> int:
    from dataclasses import replace

    from app.pricing import price

    return price(lines, rules, replace(pricing, payment_method=method)).payable_fen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    catalog = make_catalog(rng)
    method_tally, again_tally = Tally(), Tally()
    for n in range(args.users):
        replay(make_shopper(rng, n, catalog), rng, args.days, catalog, method_tally, again_tally)
    print(f"{args.users} synthetic users over {args.days} days (seed {args.seed})")
    print(f"{'':24}{'recommender':>12}{'most frequent':>15}{'most recent':>13}   decisions")
    for title, tally in (("method hit@1", method_tally), ("buy-again hit@3", again_tally)):
        print(f"{title:24}{tally.rate('recommender'):>12.3f}{tally.rate('frequent'):>15.3f}"
              f"{tally.rate('recent'):>13.3f}   {tally.total}")
    beaten = all(t.rate("recommender") > max(t.rate("frequent"), t.rate("recent")) for t in (method_tally, again_tally))
    print("goal (beat both baselines on both measures):", "met" if beaten else "NOT met")


if __name__ == "__main__":
    main()

"""Recommendations for one user now: the aggregates and the context are read (never the order history), then
ranked by the pure rules of app/recommendations/ranking.py. Also what checkout and prefill ask of them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Optional

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from app.catalog.models import Product
from app.catalog.service import sellable_products
from app.core.clock import CHINA_TZ, now_utc
from app.core.errors import AppError
from app.core.settings import PAYMENT_METHODS
from app.orders.events import WALLET_FAILURES, emit_payment_failed
from app.orders.service import promotion_uses
from app.preferences.models import Address, Preference
from app.pricing import CartLine, PricingContext, PromotionRule, candidate_offers, price
from app.promotions.cache import active_promotions, with_fresh_budgets
from app.recommendations import ranking, signals
from app.recommendations.aggregates import History, MethodAggregate
from app.recommendations.ranking import MethodFacts, MethodInputs, MethodRecommendation
from app.recommendations.repository import buy_again_candidates, read_history
from app.wallet.models import Wallet

log = logging.getLogger("yijian.recommendations")

PRODUCT_CANDIDATES = 100  # buy-again reads at most this many products (most recently bought first)
BASKET_CATEGORIES = 5


@dataclass(frozen=True)
class Known:
    """What a caller (prefill) already read, so it is not read twice."""

    city: Optional[str]
    wallet_balance_fen: int


@dataclass(frozen=True)
class Recommendation:
    method: MethodRecommendation
    offers: list[dict[str, Any]]
    buy_again: list[dict[str, Any]]
    context: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"payment_method": self.method.to_dict(), "offers": self.offers, "buy_again": self.buy_again,
                "context": self.context}


@dataclass(frozen=True)
class _Signals:
    history: History
    wallet_balance_fen: int
    city: Optional[str]
    rules: list[PromotionRule]
    pricing: PricingContext  # its payment_method is replaced per method
    health: dict[str, signals.MethodHealth]
    catalog: dict[str, ranking.ProductFacts]  # the buy-again candidates as the shop has them now


async def cart_lines(items: list[tuple[str, int]]) -> list[CartLine]:
    """The cart at today's prices, one line per product; unknown or off-sale products → PRODUCT_UNAVAILABLE."""
    quantities, products = await sellable_products(items)
    return [CartLine(pid, products[pid].name, products[pid].category, products[pid].price_fen, quantity)
            for pid, quantity in quantities.items()]


async def _wallet_balance(user_id: str) -> int:
    rows = await Wallet.filter(user_id=user_id).values_list("balance_fen", flat=True)
    return rows[0] if rows else 0


async def _default_city(user_id: str) -> Optional[str]:
    rows = await Address.filter(
        user_id=user_id, id__in=Subquery(Preference.filter(user_id=user_id).values("default_address_id")),
    ).values_list("city", flat=True)
    return rows[0] if rows and rows[0] else None


async def _pricing_context(user_id: str, history: History, rules: list[PromotionRule], now: datetime,
                           city: Optional[str]) -> PricingContext:
    """The user's side of pricing. "New user" comes from the aggregates (an orders query for it cost more the
    longer the history); the uses of per-user-limited promotions are read only when such a rule exists."""
    limited = [rule.id for rule in rules if rule.per_user_limit is not None]
    uses = await promotion_uses(user_id, limited) if limited else {}
    return PricingContext(now=now, payment_method=PAYMENT_METHODS[0], city=city,
                          is_new_user=history.user.paid_orders == 0, uses_by_promotion=uses)


async def _const(value):
    return value


async def _signals(user_id: str, now: datetime, known: Optional[Known], *, full: bool,
                   rules: Optional[list[PromotionRule]] = None) -> _Signals:
    """Everything a recommendation reads, in two rounds of concurrent small reads, whatever the history's length.
    Without `full` (checkout, which has its cart) neither buy-again nor the typical basket is read; checkout also
    passes the `rules` it prices with (their budgets already fresh), so they are looked up once."""
    history, catalog, balance, city, read_rules, health = await asyncio.gather(
        read_history(user_id, products_limit=PRODUCT_CANDIDATES if full else 0,
                     categories_limit=BASKET_CATEGORIES if full else 0),
        _catalog(user_id) if full else _const({}),
        _const(known.wallet_balance_fen) if known else _wallet_balance(user_id),
        _const(known.city) if known else _default_city(user_id),
        _const(rules) if rules is not None else active_promotions(now),
        signals.method_health(signals.installed_redis(), PAYMENT_METHODS, now),
    )
    city = city or history.user.city
    fresh = _const(read_rules) if rules is not None else with_fresh_budgets(read_rules)
    rules, pricing = await asyncio.gather(fresh, _pricing_context(user_id, history, read_rules, now, city))
    return _Signals(history, balance, city, rules, pricing, health, catalog)


async def _catalog(user_id: str) -> dict[str, ranking.ProductFacts]:
    """The buy-again candidates (the products read_history reads) as the shop has them now, in the same round."""
    rows = await Product.filter(id__in=Subquery(buy_again_candidates(user_id, PRODUCT_CANDIDATES).values("key"))
                                ).values("id", "name", "price_fen", "on_sale", "stock")
    return {row["id"]: ranking.ProductFacts(row["id"], row["name"], row["price_fen"], row["on_sale"], row["stock"])
            for row in rows}


def rank_for(history: History, lines: Optional[list[CartLine]], rules: list[PromotionRule], pricing: PricingContext,
             wallet_balance_fen: int, health: dict[str, signals.MethodHealth], now: datetime
             ) -> tuple[MethodRecommendation, dict[str, int]]:
    """The method recommendation from what was read (pure: the offline evaluation replays it): the cart, or
    without one the typical basket, priced with each method; and each method's payable."""
    typical = history.user.typical_payable_fen()
    priced_on = lines or ranking.typical_basket(history.categories(), typical)
    payables = {method: price(priced_on, rules, replace(pricing, payment_method=method)).payable_fen
                for method in PAYMENT_METHODS} if priced_on else {}
    methods = []
    for method in PAYMENT_METHODS:
        aggregate = history.methods.get(method) or MethodAggregate(method)
        method_health = health.get(method, signals.MethodHealth())
        methods.append(MethodFacts(
            method=method, score=aggregate.score_now(now), paid_count=aggregate.paid_count,
            last_paid_at=aggregate.last_paid_at, last_failure_code=aggregate.last_failure_code,
            last_failure_at=aggregate.last_failure_at, attempts=method_health.attempts,
            failures=method_health.failures, payable_fen=payables.get(method)))
    inputs = MethodInputs(
        now=now, methods=tuple(methods), paid_orders=history.user.paid_orders,
        recent_methods=tuple(history.user.recent_methods()), wallet_balance_fen=wallet_balance_fen,
        wallet_needed_fen=payables.get("wallet") if lines else typical,
        cart_total_fen=sum(line.unit_price_fen * line.quantity for line in priced_on) if priced_on else None,
        with_items=bool(lines))
    return ranking.rank_methods(inputs), payables


def _rank_methods(facts: _Signals, lines: Optional[list[CartLine]], now: datetime
                  ) -> tuple[MethodRecommendation, dict[str, int]]:
    return rank_for(facts.history, lines, facts.rules, facts.pricing, facts.wallet_balance_fen, facts.health, now)


def _offers(facts: _Signals, lines: Optional[list[CartLine]]) -> list[dict[str, Any]]:
    usable = candidate_offers(facts.rules, facts.pricing, any_payment_method=True)
    amounts_off = {rule.id: rule.amount_off_fen or 0 for rule in facts.rules}
    if lines:
        on_cart = candidate_offers(facts.rules, facts.pricing, lines, any_payment_method=True)
        total = sum(line.unit_price_fen * line.quantity for line in lines)
        return ranking.rank_offers(usable, on_cart=on_cart, cart_total_fen=total, amounts_off=amounts_off)
    basket = ranking.typical_basket(facts.history.categories(), facts.history.user.typical_payable_fen())
    savings = {offer.promotion_id: offer.discount_fen or 0
               for offer in candidate_offers(facts.rules, facts.pricing, basket, any_payment_method=True)} if basket else {}
    return ranking.rank_offers(usable, basket_savings=savings)


async def recommend(user_id: str, items: Optional[list[tuple[str, int]]] = None, *, now: Optional[datetime] = None,
                    known: Optional[Known] = None) -> Recommendation:
    """DESIGN §3 `GET /recommendations`: method, offers and buy-again, with `items` priced as a cart."""
    now = now or now_utc()
    lines, facts = await asyncio.gather(cart_lines(items) if items else _const(None),
                                        _signals(user_id, now, known, full=True))
    method, payables = _rank_methods(facts, lines, now)
    buy_again = ranking.rank_buy_again(facts.history.products(), facts.catalog, now,
                                       frozenset(line.product_id for line in lines or ()))
    context = {"city": facts.city, "local_hour": now.astimezone(CHINA_TZ).hour,
               "cart_payable_fen": payables.get(method.first.method) if lines else None}
    return Recommendation(method, _offers(facts, lines), buy_again, context)


async def checkout_method(user_id: str, preference: Optional[Preference], lines: list[CartLine],
                          city: Optional[str], rules: list[PromotionRule], now: datetime) -> str:
    """The method of a quote or one-tap that names none: the default unless rule 1 makes it unusable, else the
    recommendation for this cart (DESIGN §3 "Checkout"), priced with the checkout's own `rules`."""
    facts = await _signals(user_id, now, None, full=False, rules=rules)
    facts = replace(facts, city=city, pricing=replace(facts.pricing, city=city))  # the order's city, as it is priced
    method, _ = _rank_methods(facts, lines, now)
    default = preference.default_payment_method if preference else None
    return ranking.with_default(method, default).first.method


# -- payment errors that help (DESIGN §3) ----------------------------------------------------------------------

FAILED_METHOD = {"PAYMENT_INSUFFICIENT_BALANCE": "wallet", "WALLET_PIN_WRONG": "wallet", "WALLET_PIN_LOCKED": "wallet",
                 "PAYMENT_PROVIDER_UNAVAILABLE": "wechatpay"}


async def _usable_instead(user_id: str, failed: str, payable_fen: Optional[int], now: datetime
                          ) -> Optional[tuple[str, Optional[int]]]:
    """Another method that can pay this order now: (method, wallet balance when it is the wallet)."""
    others = tuple(method for method in PAYMENT_METHODS if method != failed)
    health = await signals.method_health(signals.installed_redis(), others, now)
    for method in others:
        if method == "wallet":
            wallet = await Wallet.get_or_none(user_id=user_id)
            if wallet is not None and ranking.wallet_can_pay(
                    wallet.balance_fen, payable_fen, pin_set=wallet.pin_hash is not None,
                    pin_free_limit_fen=wallet.pin_free_limit_fen,
                    locked=wallet.locked_until is not None and wallet.locked_until > now):
                return method, wallet.balance_fen
        elif not ranking.is_degraded(health[method].attempts, health[method].failures):
            return method, None
    return None


async def after_payment_error(redis, user_id: str, error: AppError) -> None:
    """A one-tap ended in a payment error after choosing its method: record the failure (the wallet's as a
    `payment.failed` event in its own transaction; a provider's in the method's health, its event being written
    with the order's close) and, for the three errors of DESIGN §3, name another usable method."""
    failed = FAILED_METHOD.get(error.code)
    if failed is None:
        return
    try:
        await _record_and_help(redis, user_id, error, failed)
    except Exception:  # the user's own error must still be the answer
        log.exception("payment failure not recorded", extra={"fields": {"code": error.code}})


async def _record_and_help(redis, user_id: str, error: AppError, failed: str) -> None:
    now = now_utc()
    if error.code in WALLET_FAILURES:
        async with in_transaction() as connection:
            await emit_payment_failed(connection, user_id, failed, error.code, None, now)
    else:
        await signals.record_provider_failure(redis, failed, now)
    if error.code not in ranking.HELPFUL_ERRORS:
        return
    instead = await _usable_instead(user_id, failed, error.details.get("payable_fen"), now)
    if instead is not None:
        method, balance = instead
        error.details["suggested_payment_method"] = {"method": method,
                                                     "reason": ranking.suggestion_reason(method, balance)}
    error.remedy = ranking.helpful_remedy(error.code, instead[0] if instead else None)


async def payment_attempted(redis, method: str) -> None:
    """A one-tap reached the payment step with `method` (the denominator of the method's failure rate)."""
    await signals.record_attempt(redis, method)

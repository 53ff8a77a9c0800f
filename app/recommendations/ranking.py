"""Pure ranking (no I/O): the payment-method rules of DESIGN §3 in their order, offers by saving, buy-again by
re-purchase interval, each with a reason a person can read."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Optional

from app.pricing import CartLine, Offer
from app.recommendations.aggregates import ItemAggregate

# reason codes (DESIGN §3); USER_DEFAULT is prefill's and one-tap's: the user's own default decided
BALANCE_LOW, METHOD_DEGRADED, RECENT_FAILURE = "BALANCE_LOW", "METHOD_DEGRADED", "RECENT_FAILURE"
NEW_USER, HABIT, PROMOTION, USER_DEFAULT = "NEW_USER", "HABIT", "PROMOTION", "USER_DEFAULT"

DEGRADED_MIN_ATTEMPTS = 20
DEGRADED_FAILURE_PERCENT = 20
RECENT_FAILURE_WINDOW = timedelta(minutes=10)
PROMOTION_MIN_SAVING_PERCENT = 5
HINT_WITHIN_PERCENT = 30
MAX_OFFERS = 5
MAX_BUY_AGAIN = 5
FIRST_TIME_METHOD = "wechatpay"
DAY = timedelta(days=1)

LABELS = {"wechatpay": "微信支付", "wallet": "余额支付"}
SHORT_LABELS = {"wechatpay": "微信支付", "wallet": "余额"}
FAILURE_TEXTS = {
    "PAYMENT_INSUFFICIENT_BALANCE": "余额不足", "WALLET_PIN_WRONG": "支付密码错误", "WALLET_PIN_LOCKED": "钱包已锁定",
    "PAYMENT_PROVIDER_UNAVAILABLE": "支付服务繁忙", "EXPIRED_UNPAID": "订单超时未支付", "CANCELLED": "订单已取消",
}
# Rule 1, in the order of "never first": a recent failure goes after the others, a degraded method last among
# the rest, and a wallet that cannot cover the amount after everything (it would fail for certain).
_TIER = {None: 0, RECENT_FAILURE: 1, METHOD_DEGRADED: 2, BALANCE_LOW: 3}


def yuan(fen: int) -> str:
    """1200 → "¥12.00": how the recommendation texts write money."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def label(method: str) -> str:
    return LABELS.get(method, method)


# -- payment method -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodFacts:
    """What is known about one method for one user now."""

    method: str
    score: float = 0.0  # recency-weighted, decayed to now
    paid_count: int = 0
    last_paid_at: Optional[datetime] = None
    last_failure_code: Optional[str] = None
    last_failure_at: Optional[datetime] = None
    attempts: int = 0  # across all users, last 15 minutes
    failures: int = 0
    payable_fen: Optional[int] = None  # the cart (or the typical basket) priced with this method


@dataclass(frozen=True)
class MethodInputs:
    now: datetime
    methods: tuple[MethodFacts, ...]  # in the order methods are listed when nothing else decides
    paid_orders: int
    recent_methods: tuple[str, ...] = ()  # newest first
    wallet_balance_fen: int = 0
    wallet_needed_fen: Optional[int] = None  # the cart's payable with the wallet, else the typical payable
    cart_total_fen: Optional[int] = None  # what the 5 % of PROMOTION is of
    with_items: bool = False


@dataclass(frozen=True)
class MethodChoice:
    method: str
    reason_code: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"method": self.method, "reason_code": self.reason_code, "reason": self.reason}


@dataclass(frozen=True)
class MethodRecommendation:
    first: MethodChoice
    alternatives: tuple[MethodChoice, ...]
    flags: Mapping[str, Optional[str]]  # each method's rule-1 code, None when usable
    described: Mapping[str, MethodChoice]  # each method as an alternative

    def to_dict(self) -> dict[str, Any]:
        return {**self.first.to_dict(), "alternatives": [choice.to_dict() for choice in self.alternatives]}

    def usable(self, method: str) -> bool:
        return method in self.flags and self.flags[method] is None


def is_degraded(attempts: int, failures: int) -> bool:
    """≥ 20 % of ≥ 20 attempts failed at the provider over the window."""
    return attempts >= DEGRADED_MIN_ATTEMPTS and failures * 100 >= attempts * DEGRADED_FAILURE_PERCENT


def wallet_covers(balance_fen: int, needed_fen: Optional[int]) -> bool:
    """An unknown amount (no cart, no history) still needs something: any order is at least 1 fen."""
    return balance_fen >= max(needed_fen or 1, 1)


def wallet_can_pay(balance_fen: int, payable_fen: Optional[int], *, pin_set: bool, pin_free_limit_fen: int,
                   locked: bool) -> bool:
    """The wallet would pay this order now: enough balance, not locked, and a PIN set unless password-free."""
    if locked or not wallet_covers(balance_fen, payable_fen):
        return False
    return pin_set or (payable_fen is not None and payable_fen <= pin_free_limit_fen)


def rule_one(facts: MethodFacts, inputs: MethodInputs) -> Optional[str]:
    if facts.method == "wallet" and not wallet_covers(inputs.wallet_balance_fen, inputs.wallet_needed_fen):
        return BALANCE_LOW
    if is_degraded(facts.attempts, facts.failures):
        return METHOD_DEGRADED
    if facts.last_failure_at is not None and inputs.now - facts.last_failure_at < RECENT_FAILURE_WINDOW:
        return RECENT_FAILURE
    return None


def _habit_order(inputs: MethodInputs) -> list[MethodFacts]:
    position = {facts.method: index for index, facts in enumerate(inputs.methods)}
    return sorted(inputs.methods, key=lambda f: (-f.score, -(f.last_paid_at.timestamp() if f.last_paid_at else 0),
                                                 position[f.method]))


def _savings(against: MethodFacts, inputs: MethodInputs) -> dict[str, int]:
    """What each other method saves on the cart compared with `against` (method-bound promotions)."""
    if against.payable_fen is None:
        return {}
    return {f.method: against.payable_fen - f.payable_fen for f in inputs.methods
            if f.method != against.method and f.payable_fen is not None}


def _preference(inputs: MethodInputs, flags: Mapping[str, Optional[str]]) -> tuple[list[MethodFacts], str, int]:
    """Rules 2 and 3: the order the user's history asks for, the rule that decided it, and a promotion's saving."""
    if inputs.paid_orders == 0:
        ordered = sorted(inputs.methods, key=lambda f: f.method != FIRST_TIME_METHOD)
        return ordered, NEW_USER, 0
    habit = _habit_order(inputs)
    savings = _savings(habit[0], inputs)
    floor = (inputs.cart_total_fen or 0) * PROMOTION_MIN_SAVING_PERCENT
    promoted = [f for f in habit[1:] if flags[f.method] is None and savings.get(f.method, 0) > 0
                and savings[f.method] * 100 >= floor]
    if not promoted:
        return habit, HABIT, 0
    best = max(promoted, key=lambda f: savings[f.method])  # max keeps the first (the habit's order) on a tie
    return [best, *(f for f in habit if f is not best)], PROMOTION, savings[best.method]


def _habit_reason(method: str, inputs: MethodInputs) -> str:
    recent = inputs.recent_methods
    streak = next((index for index, used in enumerate(recent) if used != method), len(recent))
    if streak >= 2:
        return f"最近 {streak} 次都用{label(method)}"
    used = recent.count(method)
    if used:
        return f"最近 {len(recent)} 次中有 {used} 次用{label(method)}"
    return f"您常用{label(method)}"


def _flag_reason(flag: str, facts: MethodFacts, inputs: MethodInputs) -> str:
    method = facts.method
    if flag == BALANCE_LOW:
        balance = yuan(inputs.wallet_balance_fen)
        if inputs.wallet_needed_fen is None:
            return f"余额 {balance}，暂不足以支付"
        if inputs.with_items:
            return f"余额 {balance}，不足以支付本单 {yuan(inputs.wallet_needed_fen)}"
        return f"余额 {balance}，低于您通常的订单金额 {yuan(inputs.wallet_needed_fen)}"
    if flag == METHOD_DEGRADED:
        return f"{label(method)}当前繁忙"
    return f"{label(method)}刚才未成功（{FAILURE_TEXTS.get(facts.last_failure_code or '', '支付未完成')}）"


def _flip_reason(flag: str, demoted: str, first: str) -> str:
    if flag == BALANCE_LOW:
        return f"余额不足，推荐{label(first)}"
    if flag == METHOD_DEGRADED:
        return f"{label(demoted)}当前繁忙，建议使用{SHORT_LABELS.get(first, first)}"
    return f"{label(demoted)}刚才未成功，建议改用{label(first)}"


def _as_alternative(facts: MethodFacts, flag: Optional[str], saving: int, inputs: MethodInputs) -> MethodChoice:
    method = facts.method
    if flag is not None:
        return MethodChoice(method, flag, _flag_reason(flag, facts, inputs))
    if saving > 0:
        return MethodChoice(method, PROMOTION, f"{label(method)}立减 {yuan(saving)}")
    if inputs.paid_orders == 0:
        return MethodChoice(method, NEW_USER, f"也可使用{label(method)}")
    if facts.paid_count:
        return MethodChoice(method, HABIT, f"您已用{label(method)} {facts.paid_count} 次")
    return MethodChoice(method, HABIT, f"您还没有用过{label(method)}")


def rank_methods(inputs: MethodInputs) -> MethodRecommendation:
    """DESIGN §3: rule 1 (unusable now → never first), then 2 (new user), then 3 (habit, unless a promotion)."""
    flags = {facts.method: rule_one(facts, inputs) for facts in inputs.methods}
    preferred, code, promotion_saving = _preference(inputs, flags)
    ranked = sorted(preferred, key=lambda f: _TIER[flags[f.method]])  # stable: rules 2-3 order within a tier
    natural, first = preferred[0], ranked[0]
    if first is not natural:
        choice = MethodChoice(first.method, flags[natural.method],
                              _flip_reason(flags[natural.method], natural.method, first.method))
    elif code == NEW_USER:
        choice = MethodChoice(first.method, NEW_USER, "首次下单推荐微信支付" if first.method == FIRST_TIME_METHOD
                              else f"首次下单推荐{label(first.method)}")
    elif code == PROMOTION:
        choice = MethodChoice(first.method, PROMOTION, f"{label(first.method)}立减 {yuan(promotion_saving)}")
    else:
        choice = MethodChoice(first.method, HABIT, _habit_reason(first.method, inputs))
    savings = _savings(first, inputs)
    described = {f.method: _as_alternative(f, flags[f.method], savings.get(f.method, 0), inputs) for f in ranked}
    described[first.method] = choice
    return MethodRecommendation(choice, tuple(described[f.method] for f in ranked[1:]), flags, described)


def with_default(recommendation: MethodRecommendation, default: Optional[str]) -> MethodRecommendation:
    """The user's explicit default decides, unless rule 1 makes it unusable now; then the recommendation does,
    under the rule-1 code that set the default aside ("余额不足，推荐微信支付", BALANCE_LOW)."""
    if default is None or default not in recommendation.flags or recommendation.first.method == default:
        return recommendation
    flag = recommendation.flags[default]
    if flag is not None:
        first = recommendation.first
        choice = MethodChoice(first.method, flag, _flip_reason(flag, default, first.method))
        return replace(recommendation, first=choice, described={**recommendation.described, first.method: choice})
    choice = MethodChoice(default, USER_DEFAULT, "您设置的默认支付方式")
    others = [recommendation.first, *recommendation.alternatives]
    return MethodRecommendation(choice, tuple(c for c in others if c.method != default), recommendation.flags,
                                {**recommendation.described, default: choice})


# -- offers ---------------------------------------------------------------------------------------------------


def typical_basket(categories: Sequence[ItemAggregate], typical_payable_fen: Optional[int]) -> list[CartLine]:
    """A cart like the user's usual one: the typical payable shared among their categories by what they spend."""
    spent = [c for c in categories if c.spent_fen > 0]
    total = sum(c.spent_fen for c in spent)
    if not typical_payable_fen or not total:
        return []
    return [CartLine(product_id=f"basket:{c.key}", name=c.key, category=c.key,
                     unit_price_fen=max(1, typical_payable_fen * c.spent_fen // total), quantity=1) for c in spent]


def rank_offers(usable: Sequence[Offer], *, on_cart: Optional[Sequence[Offer]] = None,
                cart_total_fen: Optional[int] = None, amounts_off: Optional[Mapping[str, int]] = None,
                basket_savings: Optional[Mapping[str, int]] = None) -> list[dict[str, Any]]:
    """At most 5 offers, by what they save: on the cart (`on_cart`, each priced on it) or, without one, on the
    typical basket. A threshold the cart misses by at most 30 % of the cart says how close it is (`hint`);
    `amounts_off` is each threshold's amount."""
    amounts_off, basket_savings = amounts_off or {}, basket_savings or {}
    if on_cart is not None:
        listed = list(on_cart)
        saving = {offer.promotion_id: offer.discount_fen or 0 for offer in listed}
    else:
        listed = list(usable)
        saving = {offer.promotion_id: basket_savings.get(offer.promotion_id, 0) for offer in listed}
    position = {offer.promotion_id: index for index, offer in enumerate(listed)}
    ranked = sorted(listed, key=lambda o: (-saving[o.promotion_id], position[o.promotion_id]))[:MAX_OFFERS]
    views = []
    for offer in ranked:
        view: dict[str, Any] = {"id": offer.promotion_id, "name": offer.name, "kind": offer.kind,
                                "reason": offer.reason}
        if on_cart is not None:
            view["discount_fen"] = offer.discount_fen or 0
            if offer.shortfall_fen is not None:
                view["shortfall_fen"] = offer.shortfall_fen
                if offer.shortfall_fen * 100 <= (cart_total_fen or 0) * HINT_WITHIN_PERCENT:
                    off = amounts_off.get(offer.promotion_id, 0)
                    view["hint"] = f"再买 {yuan(offer.shortfall_fen)} 可减 {yuan(off)}"
        views.append(view)
    return views


# -- buy again ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFacts:
    product_id: str
    name: str
    price_fen: int
    on_sale: bool
    stock: int


def _days(delta: timedelta) -> float:
    return delta / DAY


def buy_again_reason(interval: timedelta, since: timedelta) -> str:
    """"您通常每 7 天购买一次，距上次已 6 天" (whole days: the interval rounded, the time since counted)."""
    every = round(_days(interval))
    ago = math.floor(_days(since))
    rhythm = f"您通常每 {every} 天购买一次" if every > 1 else "您通常每天购买"
    return f"{rhythm}，距上次已 {ago} 天" if ago >= 1 else f"{rhythm}，距上次不到 1 天"


def rank_buy_again(products_bought: Sequence[ItemAggregate], catalog: Mapping[str, ProductFacts], now: datetime,
                   exclude: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Products bought in ≥ 2 distinct paid orders, on sale and in stock, not in the cart: those closest to their
    usual interval first (due or a little overdue), then the most bought."""
    candidates = []
    for item in products_bought:
        product = catalog.get(item.key)
        interval = item.mean_interval()
        if (item.orders_count < 2 or interval is None or product is None or not product.on_sale
                or product.stock <= 0 or item.key in exclude):
            continue
        interval = max(interval, timedelta(hours=1))  # two orders in the same moment say little about a rhythm
        since = now - item.last_bought_at
        # How close today is to the usual interval, in tenths of it (so that the count decides between products
        # about as due as each other): 0 = due today, 1 = a whole interval early or late.
        closeness = round(abs(since - interval) / interval * 10)
        candidates.append((closeness, -item.orders_count, item.key, item, product, interval, since))
    candidates.sort(key=lambda c: c[:3])
    views = []
    for _, _, _, item, product, interval, since in candidates[:MAX_BUY_AGAIN]:
        views.append({
            "product_id": product.product_id, "name": product.name, "price_fen": product.price_fen,
            "reason": buy_again_reason(interval, since), "last_bought_at": item.last_bought_at,
            "due_in_days": round(_days(interval - since)),
        })
    return views


# -- payment errors that help (DESIGN §3) ----------------------------------------------------------------------

HELPFUL_ERRORS = ("PAYMENT_INSUFFICIENT_BALANCE", "WALLET_PIN_LOCKED", "PAYMENT_PROVIDER_UNAVAILABLE")
_REMEDIES = {
    ("PAYMENT_INSUFFICIENT_BALANCE", "wechatpay"): "可改用微信支付，或充值后再试",
    ("PAYMENT_INSUFFICIENT_BALANCE", None): "请充值后再试",
    ("WALLET_PIN_LOCKED", "wechatpay"): "可改用微信支付，或15分钟后再试",
    ("WALLET_PIN_LOCKED", None): "请15分钟后再试",
    ("PAYMENT_PROVIDER_UNAVAILABLE", "wallet"): "微信支付暂时不可用，可改用钱包余额支付",
    ("PAYMENT_PROVIDER_UNAVAILABLE", None): "微信支付暂时不可用，请稍后重试",
}


def helpful_remedy(code: str, suggested: Optional[str]) -> str:
    """The remedy of a payment error: it names the suggested method when there is one."""
    return _REMEDIES.get((code, suggested)) or _REMEDIES[(code, None)]


def suggestion_reason(method: str, wallet_balance_fen: Optional[int] = None) -> str:
    if method == "wallet" and wallet_balance_fen is not None:
        return f"钱包余额 {yuan(wallet_balance_fen)}，足够支付本单"
    return f"{label(method)}可以完成本单支付"

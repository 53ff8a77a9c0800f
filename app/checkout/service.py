"""Quote and one-tap checkout: one pricing path, checks in the contract's order, one transaction (DESIGN.md §3)."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.catalog import cache as catalog_cache
from app.catalog.service import get_products, reserve_stock, sellable_products
from app.checkout import idempotency
from app.checkout.schemas import Item, OneTapBody, OneTapOut, QuoteBody, QuoteOut
from app.core import metrics
from app.core.clock import now_utc
from app.core.versioned import Versions
from app.core.errors import AppError
from app.core.security import new_id
from app.core.serialize import jsonable, view
from app.core.settings import PAYMENT_METHODS
from app.deps import Deps
from app.orders import events as order_events, history as order_history, service as orders
from app.orders.models import PAID, Order
from app.payments import PaymentProviderError, PaymentRequest
from app.payments.registry import TRANSACTION
from app.auth.models import User
from app.preferences import cache as preferences_cache
from app.preferences.service import checkout_choices, checkout_context
from app.pricing import CartLine, PriceResult, PricingContext, price
from app.promotions.cache import UNREAD, active_promotions, with_fresh_budgets
from app.promotions import service as promotions, versions as promotion_versions
from app.recommendations import service as recommendations
from app.wallet.ledger import insufficient_balance
from app.wallet.models import Wallet
from app.wallet.pin import pin_checked

log = logging.getLogger("yijian.checkout")


def counters(user_id: str) -> list[str]:
    """The version counters a checkout's caches are confirmed by, read with the token check in one round trip."""
    return [catalog_cache.COUNTER, promotion_versions.REDIS_KEY, preferences_cache.counter(user_id),
            order_history.counter(user_id)]


@dataclass(frozen=True)
class _Tokens:
    """This request's reading of the counters; without one (Redis unread) every cache reads the database."""

    versions: Optional[Versions]

    def of(self, counter: str) -> Optional[str]:
        return self.versions.get(counter) if self.versions is not None else None

    @property
    def promotions(self) -> object:
        return self.of(promotion_versions.REDIS_KEY) if self.versions is not None else UNREAD


@dataclass(frozen=True)
class Checkout:
    """Everything decided before money or stock moves: what, where, how, and at what price."""

    lines: list[CartLine]
    address: Optional[dict[str, Any]]
    payment_method: str
    priced: PriceResult
    budgeted: frozenset[str]  # the promotions priced that have a budget to charge
    stock: dict[str, int]  # each product's stock when the cart was read (the transaction takes it for real)

    def quote_view(self) -> dict[str, Any]:
        return view(QuoteOut, self.priced, payment_method=self.payment_method, address=self.address)


@dataclass(frozen=True)
class OneTapAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


async def _cart_lines(items: list[tuple[str, int]], tokens: _Tokens) -> tuple[list[CartLine], dict[str, int]]:
    """The cart at today's prices, one line per product, and each product's stock as read (cached: see
    app/catalog/cache.py); unknown or off-sale products → PRODUCT_UNAVAILABLE."""
    quantities, products = await sellable_products(items, catalog_token=tokens.of(catalog_cache.COUNTER),
                                                   cached=True)
    lines = [
        CartLine(product_id=pid, name=products[pid].name, category=products[pid].category,
                 unit_price_fen=products[pid].price_fen, quantity=quantity)
        for pid, quantity in quantities.items()
    ]
    return lines, {pid: products[pid].stock for pid in quantities}


async def _price(user_id: str, lines: list[CartLine], method: str, address: Optional[dict],
                 now: datetime, rules: list, tokens: _Tokens) -> tuple[PriceResult, frozenset[str]]:
    # The user's history is needed only when a rule can use it (from memory when its counter confirms it).
    needs_history = any(rule.new_user_only for rule in rules)
    limited = [rule.id for rule in rules if rule.per_user_limit is not None]
    history = None
    if needs_history or limited:
        history = await orders.checkout_history(user_id, tokens.of(order_history.counter(user_id)),
                                                paid_before=needs_history, promotion_ids=limited)
    context = PricingContext(
        now=now, payment_method=method, city=(address or {}).get("city") or None,
        is_new_user=not history.paid_before if history is not None and needs_history else False,
        uses_by_promotion={pid: history.uses_by_promotion[pid] for pid in limited
                           if pid in history.uses_by_promotion} if history is not None else {},
    )
    budgeted = frozenset(rule.id for rule in rules if rule.budget_remaining_fen is not None)
    return price(lines, rules, context), budgeted


async def _prepare(user_id: str, items: list[tuple[str, int]], method: Optional[str], address_id: Optional[str],
                   *, address_required: bool, tokens: _Tokens, preference_check=None) -> Checkout:
    """Products → address → method → price, the contract's order of checks."""
    lines, stock = await _cart_lines(items, tokens)
    preference, address = await checkout_choices(user_id, address_id, cached=True,
                                                 token=tokens.of(preferences_cache.counter(user_id)))
    if preference_check is not None:
        preference_check(preference)
    if address is None and address_required:
        raise AppError("ADDRESS_REQUIRED")
    now = now_utc()
    rules = await with_fresh_budgets(await active_promotions(now, tokens.promotions))  # for method and price
    # No method named: the default unless unusable now, else the recommendation (DESIGN §3 "Recommendations").
    method = method or await recommendations.checkout_method(user_id, preference, lines, (address or {}).get("city"),
                                                             rules, now)
    if method not in PAYMENT_METHODS:
        raise AppError("PAYMENT_METHOD_UNAVAILABLE", payment_method=method, available=list(PAYMENT_METHODS))
    priced, budgeted = await _price(user_id, lines, method, address, now, rules, tokens)
    return Checkout(lines, address, method, priced, budgeted, stock)


def _items(items: list[Item]) -> list[tuple[str, int]]:
    return [(item.product_id, item.quantity) for item in items]


async def quote(user_id: str, body: QuoteBody, versions: Optional[Versions] = None) -> dict[str, Any]:
    """`versions`: the counters of `counters(user_id)` as the request read them; without, the database decides."""
    checkout = await _prepare(user_id, _items(body.items), body.payment_method, body.address_id,
                              address_required=False, tokens=_Tokens(versions))
    return checkout.quote_view()


def _one_tap_enabled(preference) -> None:
    if preference is not None and not preference.one_tap_enabled:
        raise AppError("ONE_TAP_DISABLED")


async def _reorder_items(user_id: str, order_id: str) -> list[tuple[str, int]]:
    """A past order's products and quantities; it is repriced at today's prices."""
    past = await orders.get_own(user_id, order_id)
    return [(line["product_id"], line["quantity"]) for line in past.lines]


async def one_tap(deps: Deps, user_id: str, key: str, raw_body: dict[str, Any], body: OneTapBody,
                  versions: Optional[Versions] = None) -> OneTapAnswer:
    """Idempotent: the first answer under a key is stored and replayed; a failure stores nothing; a key whose
    order was made but not answered (its request died) gets that order finished, never a second one."""
    claim = await idempotency.begin(user_id, key, idempotency.request_hash(body),
                                    idempotency.raw_request_hash(raw_body))
    if isinstance(claim, idempotency.Replay):
        return OneTapAnswer(claim.status, claim.body, replayed=True)
    try:
        if isinstance(claim, idempotency.Resume):
            log.info("finishing the order of a one-tap that died", extra={"fields": {"order_id": claim.order.id}})
            return await _finish_order(deps, claim.order, claim.record_id)
        async with AsyncExitStack() as holds:  # a right PIN's lockout slot stays held until the order is made
            return await _one_tap(deps, user_id, body, claim, holds, _Tokens(versions))
    except BaseException as exc:
        metrics.count_payment_error(exc)
        if not isinstance(claim, idempotency.Resume):  # a resumed key is bound to its order: nothing to let go
            await idempotency.abandon(claim)
        if isinstance(exc, AppError):  # a payment error is recorded and, where it can, names another method
            await recommendations.after_payment_error(deps.redis, user_id, exc)
        raise


async def _one_tap(deps: Deps, user_id: str, body: OneTapBody, claim, holds: AsyncExitStack,
                   tokens: _Tokens) -> OneTapAnswer:
    items = _items(body.items) if body.items is not None else await _reorder_items(user_id, body.reorder_of)
    checkout = await _prepare(user_id, items, body.payment_method, body.address_id,
                              address_required=True, tokens=tokens, preference_check=_one_tap_enabled)
    priced = checkout.priced
    if body.expected_payable_fen is not None and body.expected_payable_fen != priced.payable_fen:
        raise AppError("PRICE_CHANGED", quote=jsonable(checkout.quote_view()))
    wallet = None
    if checkout.payment_method == "wallet":
        # No wallet row yet is a wallet with no PIN and no balance (unsaved here).
        wallet = await Wallet.get_or_none(user_id=user_id) or Wallet(user_id=user_id)
        if priced.payable_fen > wallet.pin_free_limit_fen:  # 免密支付: at or under the limit, no PIN
            await holds.enter_async_context(pin_checked(wallet, body.wallet_pin))

    # DESIGN §3: stock, then balance. Checked first on what was read (the answer a calm shop gives), then
    # taken for real in the transaction below, where losing a race still answers OUT_OF_STOCK / INSUFFICIENT.
    await _check_stock(checkout)
    if wallet is not None:
        _check_balance(wallet, priced.payable_fen)
    await recommendations.payment_attempted(deps.redis, checkout.payment_method)

    order_id = new_id("ord")
    now = now_utc()
    invoice = (await checkout_context(user_id, tokens.of(preferences_cache.counter(user_id)))).invoice
    async with in_transaction() as connection:
        order = await orders.create_order(
            connection, order_id=order_id, user_id=user_id, priced=priced, payment_method=checkout.payment_method,
            address=checkout.address, invoice=invoice, now=now, ttl_s=deps.settings.order_ttl_s,
            provider_api=None if wallet is not None else deps.payments.default_api, budgeted=checkout.budgeted)
        answer = None
        if wallet is not None:
            await deps.payments.wallet.debit(connection, user_id, priced.payable_fen, order_id=order_id)
            await order_events.emit_order_paid(connection, order, transaction_id=None, amount_fen=order.payable_fen,
                                               cause="one_tap_wallet")
            answer = _answer(order, {"method": "wallet", "status": PAID})
        # The key is tied to its order in the order's own transaction: no crash can leave one without the other.
        await idempotency.bind(claim, order.id, connection, answer)
        # The rows every buyer contends for (a promotion's budget, a product's stock) are locked last, right
        # before COMMIT: their locks are held for one or two statements, not for the whole order.
        await _charge_budgets(connection, priced, checkout)
        await reserve_stock([(line.product_id, line.quantity) for line in checkout.lines], connection)
    if answer is not None:
        log.info("order paid from wallet", extra={"fields": {"order_id": order.id, "payable_fen": order.payable_fen}})
        metrics.count_payment("wallet", "paid")
        return OneTapAnswer(201, answer)
    return await _finish_order(deps, order, claim.id)


async def _check_stock(checkout: Checkout) -> None:
    """On the stock as the cart read it; a product that looks short there is read again (the cache's stock only
    follows operators' changes, not orders given back), and the transaction takes it for real either way."""
    short = [line for line in checkout.lines if checkout.stock[line.product_id] < line.quantity]
    if short:
        fresh = await get_products(line.product_id for line in short)
        out = sorted(line.product_id for line in short if line.product_id not in fresh
                     or fresh[line.product_id].stock < line.quantity)
        if out:
            raise AppError("OUT_OF_STOCK", products=out)


def _check_balance(wallet: Wallet, payable_fen: int) -> None:
    if wallet.balance_fen < payable_fen:
        raise insufficient_balance(wallet.balance_fen, payable_fen)


async def _charge_budgets(connection: BaseDBAsyncClient, priced: PriceResult, checkout: Checkout) -> None:
    """A promotion switched off or spent since pricing loses the race: PRICE_CHANGED with the fresh quote."""
    budgeted = {d.promotion_id: d.amount_fen for d in priced.discounts if d.promotion_id in checkout.budgeted}
    unbudgeted = [d.promotion_id for d in priced.discounts if d.promotion_id not in budgeted]
    if not await promotions.charge_budgets(connection, budgeted, unbudgeted):
        raise AppError("PRICE_CHANGED", quote=jsonable(checkout.quote_view()))


async def _finish_order(deps: Deps, order: Order, record_id: int) -> OneTapAnswer:
    """Get the WeChat Pay order's prepay and store the answer under its key, outside any transaction (DESIGN §3).

    The one-tap that made the order runs this, and so does a retry finishing the order of one that died: the
    same out_trade_no with the identical body gets the same prepay from WeChat Pay, and of concurrent callers
    exactly one stores its answer, which every other one replays.
    """
    if order.status == PAID:  # paid before anyone got its answer (the jobs found the payment)
        return await _store_or_replay(order, record_id, {"method": "wechatpay", "status": PAID})
    wechatpay = deps.payments.for_order(order)
    try:
        params = await wechatpay.create_payment(await _payment_request(deps, order, wechatpay.name))
    except PaymentProviderError as exc:
        # Closed here at once (DESIGN §3), unless someone else stored its prepay meanwhile; the key goes with it.
        if await orders.close_unpaid(order, "provider_failed", listed=False, guard={"prepay_id": None}):
            log.warning("prepay failed; order closed", extra={"fields": {"order_id": order.id, "cause": str(exc)}})
            raise _provider_unavailable(order) from None
        return await _stored_answer(record_id, order)
    answer = _answer(order, {"method": "wechatpay", "request_payment": params.request_payment})
    try:
        async with in_transaction() as connection:
            if not await orders.store_prepay(connection, order, params.prepay_id, deps.settings.query_schedule_s):
                raise _LostRace()  # the jobs took it (its grace is over): they are closing it
            if not await idempotency.finish(record_id, answer, connection):
                raise _LostRace()  # rolls the order back too: a prepay is stored with its answer or not at all
    except _LostRace:
        return await _stored_answer(record_id, order)
    metrics.count_payment("wechatpay", "prepay_created")
    return OneTapAnswer(201, answer)


class _LostRace(Exception):
    """Another caller finished (or the jobs took) the order first."""


async def _payment_request(deps: Deps, order: Order, api: str) -> PaymentRequest:
    """Built from the order alone, so a retry sends WeChat Pay the body the first request sent."""
    user = await User.get(id=order.user_id)
    return PaymentRequest(
        out_trade_no=order.out_trade_no, description=_description(order), amount_fen=order.payable_fen,
        openid=user.openid, expires_at=order.expires_at, notify_url=deps.payments.notify_url(api, TRANSACTION),
    )


async def _store_or_replay(order: Order, record_id: int, payment: dict[str, Any]) -> OneTapAnswer:
    answer = _answer(order, payment)
    async with in_transaction() as connection:
        if await idempotency.finish(record_id, answer, connection):
            return OneTapAnswer(201, answer)
    return await _stored_answer(record_id, order)


async def _stored_answer(record_id: int, order: Order) -> OneTapAnswer:
    """After losing a race for the order: the answer another caller stored, else the order is being closed."""
    record = await idempotency.stored(record_id)
    if record is not None and record.state == idempotency.DONE:
        return OneTapAnswer(record.response_status or 201, record.response_body or {}, replayed=True)
    current = await Order.get(id=order.id)
    if current.status == PAID and record is not None:
        return await _store_or_replay(current, record_id, {"method": "wechatpay", "status": PAID})
    # The jobs took the order to close it (or closed it): this attempt failed, and its key is (being) freed.
    raise _provider_unavailable(order)


def _provider_unavailable(order: Order) -> AppError:
    """The prepay could not be had; `one_tap` adds the method to use instead (app/recommendations)."""
    return AppError("PAYMENT_PROVIDER_UNAVAILABLE", remedy="微信支付暂时不可用，请稍后重试",
                    payable_fen=order.payable_fen)


def _description(order: Order) -> str:
    first = order.lines[0]["name"]
    return first if len(order.lines) == 1 else f"{first}等{len(order.lines)}件商品"


def _answer(order: Order, payment: dict[str, Any]) -> dict[str, Any]:
    """The one-tap's 201 answer, as stored under its key and replayed byte for byte."""
    return jsonable(view(OneTapOut, {"order": order, "payment": payment}))

"""Promotion rules for operators (create, change, list), their budgets charged and given back by orders, and the
converter to the pricing engine's input.

Every change bumps the global version in its own transaction and is announced through Redis before the
operator gets an answer, which is what makes a switch-off reach every worker's cache at once (cache.py).
"""

from __future__ import annotations

from typing import Any, Optional

from collections.abc import Iterable

from redis.asyncio import Redis
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.core.errors import NotFound
from app.core.pagination import newest_first
from app.core.security import new_id
from app.core.serialize import view
from app.operators import audit
from app.pricing.domain import PromotionRule
from app.promotions import versions
from app.promotions.models import Promotion
from app.promotions.schemas import PromotionIn, PromotionOut, PromotionPatch, normalise

STATE_FIELDS = ("name", "kind", "amount_off_fen", "percent_off", "threshold_fen", "enabled", "starts_at", "ends_at",
                "priority", "stackable", "per_user_limit", "budget_fen", "conditions")


def to_rule(promotion: Promotion) -> PromotionRule:
    """The pricing engine's input for this promotion (app.pricing.domain.PromotionRule)."""
    conditions = promotion.conditions or {}
    hours = conditions.get("hours") or {}
    budget_left = None if promotion.budget_fen is None else max(0, promotion.budget_fen - promotion.budget_used_fen)
    return PromotionRule(
        id=promotion.id, name=promotion.name, kind=promotion.kind, amount_off_fen=promotion.amount_off_fen,
        percent_off=promotion.percent_off, threshold_fen=promotion.threshold_fen, priority=promotion.priority,
        stackable=promotion.stackable, created_at=promotion.created_at, per_user_limit=promotion.per_user_limit,
        budget_remaining_fen=budget_left, payment_methods=tuple(conditions.get("payment_method") or ()),
        categories=tuple(conditions.get("categories") or ()), cities=tuple(conditions.get("cities") or ()),
        new_user_only=bool(conditions.get("new_user_only")), hours_from=hours.get("from"), hours_to=hours.get("to"),
        starts_at=promotion.starts_at, ends_at=promotion.ends_at,
    )


async def load_enabled_rules() -> tuple[PromotionRule, ...]:
    """Every enabled promotion, oldest first, read from the database (what each cache reload does)."""
    return tuple(to_rule(promotion) for promotion in await Promotion.filter(enabled=True).order_by("id"))


async def charge_budgets(connection: BaseDBAsyncClient, amounts: dict[str, int], unbudgeted: Iterable[str]) -> bool:
    """In an order's transaction: charge each budgeted promotion what it gave (`amounts`), never past its budget;
    the `unbudgeted` ones used must still be enabled. False when one was switched off or spent since pricing (the
    caller answers PRICE_CHANGED and rolls back). In id order, so two checkouts cannot deadlock."""
    unbudgeted = list(unbudgeted)
    if unbudgeted and await Promotion.filter(id__in=unbudgeted, enabled=True).using_db(connection).count() != len(
            unbudgeted):
        return False
    for promotion_id, amount in sorted(amounts.items()):
        if not await Promotion.filter(id=promotion_id, enabled=True, budget_used_fen__lte=F("budget_fen") - amount,
                                      ).using_db(connection).update(budget_used_fen=F("budget_used_fen") + amount):
            return False
    return True


async def release_budgets(connection: BaseDBAsyncClient, used: Iterable[tuple[str, int]]) -> None:
    """In the transaction that closes an order unpaid: give back what it used of each promotion (id, amount)."""
    for promotion_id, amount in used:
        await Promotion.filter(id=promotion_id).using_db(connection).update(
            budget_used_fen=F("budget_used_fen") - amount)


async def create_promotion(redis: Redis, operator_id: str, data: PromotionIn) -> dict[str, Any]:
    state = normalise({**data.model_dump(exclude={"conditions"}), "conditions": data.conditions.to_json()})
    await versions.ensure_row()
    async with in_transaction() as connection:
        promotion = await Promotion.create(id=new_id("pro"), **state, using_db=connection)
        created = view(PromotionOut, promotion)
        await audit.record(connection, operator_id, "promotion.create", "promotion", promotion.id, None, created)
        await versions.bump_in(connection)
    await versions.announce(redis)
    return created


async def update_promotion(redis: Redis, operator_id: str, promotion_id: str,
                           patch: PromotionPatch) -> dict[str, Any]:
    changes = patch.model_dump(include=patch.model_fields_set, exclude={"conditions"})
    if patch.conditions is not None:
        changes["conditions"] = patch.conditions.to_json()
    await versions.ensure_row()
    async with in_transaction() as connection:
        promotion = await Promotion.select_for_update().using_db(connection).get_or_none(id=promotion_id)
        if promotion is None:
            raise NotFound(promotion_id=promotion_id)
        before = view(PromotionOut, promotion)
        if not changes:
            return before
        state = normalise({**{name: before[name] for name in STATE_FIELDS}, **changes})
        promotion.update_from_dict({**state, "version": promotion.version + 1})
        await promotion.save(using_db=connection)
        after = view(PromotionOut, promotion)
        await audit.record(connection, operator_id, "promotion.update", "promotion", promotion.id, before, after)
        await versions.bump_in(connection)
    await versions.announce(redis)
    return after


async def get_promotion(promotion_id: str) -> dict[str, Any]:
    promotion = await Promotion.get_or_none(id=promotion_id)
    if promotion is None:
        raise NotFound(promotion_id=promotion_id)
    return view(PromotionOut, promotion)


async def list_promotions(limit: int, before_id: Optional[str], enabled: Optional[bool] = None) -> list[dict[str, Any]]:
    """Newest first; up to limit+1 for `app.core.http.page`."""
    query = Promotion.all()
    if enabled is not None:
        query = query.filter(enabled=enabled)
    page = newest_first(query, limit, before_id, id_prefix="pro")
    return [view(PromotionOut, promotion) for promotion in await page]

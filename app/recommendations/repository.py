"""Reading and writing the aggregates: rows ↔ the plain values of app/recommendations/aggregates.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Optional

from tortoise.backends.base.client import BaseDBAsyncClient

from app.recommendations.aggregates import (
    History, ItemAggregate, MethodAggregate, RecentPayment, UserAggregate, empty_histogram,
)
from app.recommendations.models import RecoItemStat, RecoMethodStat, RecoUserStat

METHOD_FIELDS = ("paid_count", "score", "score_at", "last_paid_at", "last_failure_code", "last_failure_at")
ITEM_FIELDS = ("orders_count", "quantity", "spent_fen", "first_bought_at", "last_bought_at")


async def lock_user(connection: BaseDBAsyncClient, user_id: str) -> RecoUserStat:
    """The user's row, created if missing and locked (PostgreSQL) for the rest of the transaction.

    Every change to a user's aggregates takes this lock first, so two events of one user, or an event and the
    backfill, never interleave their read-modify-writes (SQLite runs one transaction at a time anyway).
    """
    locked = RecoUserStat.filter(user_id=user_id).select_for_update().using_db(connection)
    row = await locked.get_or_none()  # made only when missing (the user's first event): one statement fewer
    if row is None:
        await RecoUserStat.bulk_create([RecoUserStat(user_id=user_id)], ignore_conflicts=True, using_db=connection)
        row = await locked.get()
    return row


def user_aggregate(row: Optional[RecoUserStat], user_id: str) -> UserAggregate:
    if row is None:
        return UserAggregate(user_id)
    return UserAggregate(
        user_id=user_id, paid_orders=row.paid_orders, hour_histogram=list(row.hour_histogram or empty_histogram()),
        recent=[RecentPayment.from_json(item) for item in row.recent_payments or []],
        last_paid_at=row.last_paid_at, city=row.city, city_at=row.city_at,
    )


def method_aggregate(row: RecoMethodStat) -> MethodAggregate:
    return MethodAggregate(row.method, **{name: getattr(row, name) for name in METHOD_FIELDS})


def item_aggregate(row: RecoItemStat) -> ItemAggregate:
    return ItemAggregate(row.kind, row.key, **{name: getattr(row, name) for name in ITEM_FIELDS})


class StoredHistory:
    """A History loaded for a fold, with the rows it came from, so that the fold's result is written back."""

    def __init__(self, user_row: RecoUserStat, methods: list[RecoMethodStat], items: list[RecoItemStat]) -> None:
        self.user_row = user_row
        self.method_rows = {row.method: row for row in methods}
        self.item_rows = {(row.kind, row.key): row for row in items}
        self.history = History(
            user=user_aggregate(user_row, user_row.user_id),
            methods={row.method: method_aggregate(row) for row in methods},
            items={key: item_aggregate(row) for key, row in self.item_rows.items()},
        )

    @classmethod
    async def load(cls, connection: BaseDBAsyncClient, user_row: RecoUserStat, methods: Iterable[str],
                   item_keys: Iterable[tuple[str, str]]) -> StoredHistory:
        """The user's aggregates for these methods and items (only those: a fold touches no others)."""
        user_id = user_row.user_id
        method_rows = await RecoMethodStat.filter(user_id=user_id, method__in=list(methods)).using_db(connection)
        keys = list(item_keys)
        item_rows = []
        if keys:
            item_rows = [row for row in await RecoItemStat.filter(
                user_id=user_id, key__in=sorted({key for _, key in keys})).using_db(connection)
                if (row.kind, row.key) in set(keys)]
        return cls(user_row, method_rows, item_rows)

    async def save(self, connection: BaseDBAsyncClient) -> None:
        """Write back the user row and every method and item entry of the History (new ones created)."""
        await save_user(connection, self.user_row, self.history.user)
        new_methods, new_items = [], []
        for method, aggregate in self.history.methods.items():
            row = self.method_rows.get(method)
            if row is None:
                new_methods.append(method_row(self.user_row.user_id, aggregate))
            else:
                await _update(connection, row, aggregate, METHOD_FIELDS)
        for key, aggregate in self.history.items.items():
            row = self.item_rows.get(key)
            if row is None:
                new_items.append(item_row(self.user_row.user_id, aggregate))
            else:
                await _update(connection, row, aggregate, ITEM_FIELDS)
        if new_methods:
            await RecoMethodStat.bulk_create(new_methods, using_db=connection)
        if new_items:
            await RecoItemStat.bulk_create(new_items, using_db=connection)


async def _update(connection: BaseDBAsyncClient, row, aggregate, names: tuple[str, ...]) -> None:
    changes = {name: getattr(aggregate, name) for name in names if getattr(row, name) != getattr(aggregate, name)}
    if changes:
        await type(row).filter(id=row.id).using_db(connection).update(**changes)


async def save_user(connection: BaseDBAsyncClient, row: RecoUserStat, user: UserAggregate) -> None:
    await RecoUserStat.filter(user_id=row.user_id).using_db(connection).update(
        paid_orders=user.paid_orders, hour_histogram=user.hour_histogram,
        recent_payments=[payment.to_json() for payment in user.recent], last_paid_at=user.last_paid_at,
        city=user.city, city_at=user.city_at,
    )


def method_row(user_id: str, aggregate: MethodAggregate) -> RecoMethodStat:
    return RecoMethodStat(user_id=user_id, method=aggregate.method,
                          **{name: getattr(aggregate, name) for name in METHOD_FIELDS})


def item_row(user_id: str, aggregate: ItemAggregate) -> RecoItemStat:
    return RecoItemStat(user_id=user_id, kind=aggregate.kind, key=aggregate.key,
                        **{name: getattr(aggregate, name) for name in ITEM_FIELDS})


async def replace_history(connection: BaseDBAsyncClient, user_row: RecoUserStat, history: History) -> None:
    """The backfill's write: the user's aggregates become exactly `history`."""
    user_id = user_row.user_id
    await RecoMethodStat.filter(user_id=user_id).using_db(connection).delete()
    await RecoItemStat.filter(user_id=user_id).using_db(connection).delete()
    await save_user(connection, user_row, history.user)
    if history.methods:
        await RecoMethodStat.bulk_create([method_row(user_id, m) for m in history.methods.values()],
                                         using_db=connection)
    if history.items:
        await RecoItemStat.bulk_create([item_row(user_id, i) for i in history.items.values()], using_db=connection,
                                       batch_size=500)


def buy_again_candidates(user_id: str, limit: int):
    """Products bought in at least two distinct orders, most recently bought first (a query, not yet run)."""
    return RecoItemStat.filter(user_id=user_id, kind="product", orders_count__gte=2).order_by(
        "-last_bought_at", "key").limit(limit)


async def read_history(user_id: str, *, products_limit: int, categories_limit: int) -> History:
    """What a recommendation reads: bounded by the catalog and the limits, never by the number of orders.

    Products bought in at least two distinct orders (the only buy-again candidates), most recent first, and the
    categories the user spends most on (the typical basket).
    """
    # Item rows as plain values: a long history has as many of them as the catalog allows, models cost more.
    async def rows(query) -> list[dict]:
        return await query.values("kind", "key", *ITEM_FIELDS) if query is not None else []

    categories = RecoItemStat.filter(user_id=user_id, kind="category").order_by("-spent_fen", "key")
    user_row, method_rows, product_rows, category_rows = await asyncio.gather(
        RecoUserStat.get_or_none(user_id=user_id),
        RecoMethodStat.filter(user_id=user_id),
        rows(buy_again_candidates(user_id, products_limit) if products_limit else None),
        rows(categories.limit(categories_limit) if categories_limit else None),
    )
    return History(
        user=user_aggregate(user_row, user_id),
        methods={row.method: method_aggregate(row) for row in method_rows},
        items={(row["kind"], row["key"]): ItemAggregate(**row) for row in [*product_rows, *category_rows]},
    )

"""Reads and writes of the daily rollups (`stats_days`): adding to a day under its row lock, reading a range."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient

from app.stats.models import StatsDay


async def add(connection: BaseDBAsyncClient, changes: Mapping[date, Mapping[str, int]]) -> None:
    """Add counts to days' figures, in the caller's transaction. Each day's row is made if missing and locked
    before it is read (PostgreSQL: SELECT ... FOR UPDATE; SQLite runs one writing transaction at a time), so
    concurrent consumers never lose each other's counts; days are locked in date order, so two changes that
    touch the same two days cannot deadlock."""
    days = sorted(day for day, counts in changes.items() if any(counts.values()))
    if not days:
        return
    for day in days:
        row = await _locked_day(connection, day)
        figures = dict(row.figures or {})
        for name, count in changes[day].items():
            if count:
                figures[name] = int(figures.get(name, 0)) + int(count)
        await StatsDay.filter(id=row.id).using_db(connection).update(figures=figures)


async def _locked_day(connection: BaseDBAsyncClient, day: date) -> StatsDay:
    """The day's row, locked; made first only when missing (a day's first change), so the usual change is one
    statement fewer."""
    row = await StatsDay.filter(day=day).using_db(connection).select_for_update().get_or_none()
    if row is None:
        await StatsDay.bulk_create([StatsDay(day=day, figures={})], ignore_conflicts=True, using_db=connection)
        row = await StatsDay.filter(day=day).using_db(connection).select_for_update().get()
    return row


async def figures_between(first: date, last: date) -> dict[date, dict[str, int]]:
    """The stored days of [first, last] (days without activity have no row): one query, at most 366 rows."""
    rows = await StatsDay.filter(day__gte=first, day__lte=last).values_list("day", "figures")
    return {day: figures or {} for day, figures in rows}

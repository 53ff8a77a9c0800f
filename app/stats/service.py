"""Statistics reports (DESIGN §6.1): a range of Asia/Shanghai days checked, its rollups read once, summed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional

from app.core.clock import now_utc
from app.core.errors import ValidationFailed
from app.stats import figures, repository

MAX_DAYS = 366
DEFAULT_DAYS = 7
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]


def _day(name: str, raw: str) -> date:
    try:
        if _DAY.match(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValidationFailed.one(name, "must be a day as YYYY-MM-DD")


def day_range(raw_from: Optional[str], raw_to: Optional[str]) -> DayRange:
    """`from`..`to` inclusive; `to` defaults to today (Asia/Shanghai), `from` to six days before `to`."""
    last = _day("to", raw_to) if raw_to else figures.local_day(now_utc())
    first = _day("from", raw_from) if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed.one("from", "must not be after to")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed.one("from", f"a report covers at most {MAX_DAYS} days")
    return DayRange(first, last)


async def summary(days: DayRange) -> dict[str, Any]:
    stored = await repository.figures_between(days.first, days.last)
    return {"from": days.first.isoformat(), "to": days.last.isoformat(),
            **figures.report(figures.total(stored.values()))}


def _item(day: date, counts: dict[str, int], methods: list[str]) -> dict[str, Any]:
    reported = figures.report(Counter(counts), methods)
    return {"date": day.isoformat(), **reported.pop("totals"), **reported}


async def daily(days: DayRange) -> dict[str, Any]:
    """One item per day of the range, oldest first, days without activity with zeros; every day names the same
    methods (those of the whole range)."""
    stored = await repository.figures_between(days.first, days.last)
    methods = figures.methods_of(figures.total(stored.values()))
    return {"items": [_item(day, stored.get(day, {}), methods) for day in days.days()]}

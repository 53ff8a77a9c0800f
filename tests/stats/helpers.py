"""Reads of the statistics API, and the quiet the figure tests measure in (the session's server is shared)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import httpx

from app.jobs import outbox
from app.jobs.models import OutboxEvent
from app.orders.models import Order
from app.refunds.models import Refund
from app.stats import counters, figures
from app.stats.models import StatsDay
from app.stats.schemas import StatsDailyOut, StatsSummaryOut
from tests.factories import operator_headers
from tests.jobs.helpers import wait_until

STATS_KINDS = ("order.created", "order.paid", "payment.failed", "order.payment_cancelled", "refund.succeeded")


def today() -> date:
    return figures.local_day(datetime.now(timezone.utc))


async def summary(client: httpx.AsyncClient, first: date, last: date, role: str = "analyst") -> dict:
    response = await client.get("/admin/v1/stats/summary", params={"from": first.isoformat(), "to": last.isoformat()},
                                headers=await operator_headers(client, role))
    assert response.status_code == 200, response.text
    StatsSummaryOut.model_validate(response.json())
    return response.json()


async def daily(client: httpx.AsyncClient, first: date, last: date) -> list[dict]:
    response = await client.get("/admin/v1/stats/daily", params={"from": first.isoformat(), "to": last.isoformat()},
                                headers=await operator_headers(client, "analyst"))
    assert response.status_code == 200, response.text
    StatsDailyOut.model_validate(response.json())
    return response.json()["items"]


def isolated_days(count: int) -> list[date]:
    """Days of a past year no other test writes to (a PostgreSQL database outlives a run: their rows go first)."""
    first = date(1990, 1, 1) + timedelta(days=random.randrange(0, 365 * 30))
    return [first + timedelta(days=offset) for offset in range(count)]


async def fresh(days: list[date]) -> None:
    await StatsDay.filter(day__gte=days[0], day__lte=days[-1]).delete()


async def drained(server) -> None:
    """Every statistics event applied and the counters folded: what the engine does within seconds, done now."""
    async def applied():
        await outbox.process_pending()
        return not await OutboxEvent.filter(done_at=None, kind__in=STATS_KINDS).exists()
    await wait_until(applied, timeout_s=20)
    await server.app.ctx.stats_tally.flush()  # the quotes this server counted in memory (sent every second)
    await counters.fold(server.app.ctx.deps.redis)


async def quiet(server) -> None:
    """Keep the jobs away from what other tests left open (their orders expiring, their refunds being asked about)
    while a test measures today's figures, then apply what is pending."""
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    await Order.filter(status="PAYING").update(expires_at=later, next_query_at=later)
    await Refund.filter(status="PROCESSING").update(next_query_at=later)
    await drained(server)


async def stored(first: date, last: date) -> dict[str, int]:
    """The raw counters of the days, summed (what the API's rates are made from)."""
    rows = await StatsDay.filter(day__gte=first, day__lte=last).values_list("figures", flat=True)
    return dict(figures.total(rows))


def flat(report: dict, prefix: str = "") -> dict[str, float]:
    """A report's numbers by path (`by_method.wallet.failures.WALLET_PIN_WRONG`), to compare two reads."""
    numbers = {}
    for key, value in report.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            numbers.update(flat(value, path + "."))
        elif isinstance(value, int) and not isinstance(value, bool):
            numbers[path] = value
    return numbers


def delta(before: dict, after: dict) -> dict[str, int]:
    """What changed between two reads, zero changes left out."""
    a, b = flat(before), flat(after)
    return {path: b.get(path, 0) - a.get(path, 0) for path in sorted(set(a) | set(b)) if b.get(path, 0) != a.get(path, 0)}

"""Faults, due orders and waits for the job tests (jobs run in the session server's own engine)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta, timezone

import httpx

from app.orders.models import Order

SANDBOX = "/sandbox/wechat"


@contextlib.asynccontextmanager
async def sandbox_fault(client: httpx.AsyncClient, kind: str, rate: float = 1.0, apis: list[str] | None = None):
    """A sandbox fault for the duration of the block, removed by its id afterwards."""
    body = {"kind": kind, "rate": rate, **({"apis": apis} if apis else {})}
    response = await client.post(f"{SANDBOX}/control/faults", json=body)
    assert response.status_code == 201, response.text
    try:
        yield response.json()
    finally:
        await client.delete(f"{SANDBOX}/control/faults/{response.json()['id']}")


def now() -> datetime:
    return datetime.now(timezone.utc)


async def make_due(order_id: str, *, expired: bool = False) -> None:
    """Bring the order's due time (and, if asked, its expiry) into the past, as if time had passed."""
    changes = {"next_query_at": now() - timedelta(seconds=1)}
    if expired:
        changes["expires_at"] = now() - timedelta(seconds=1)
    await Order.filter(id=order_id).update(**changes)


async def park(order_id: str) -> None:
    """Keep the session's engine away from the order, so a test can drive its jobs itself."""
    await Order.filter(id=order_id).update(next_query_at=now() + timedelta(hours=1))


async def wait_until(predicate, timeout_s: float = 10.0, interval_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(interval_s)


async def status_of(order_id: str) -> str:
    return (await Order.get(id=order_id)).status

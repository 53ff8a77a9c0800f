"""Risk events as operators read them, and a wait that keeps a burst inside one 10-minute window."""

from __future__ import annotations

import asyncio
import time

import httpx

from app.risk.events import WINDOW_S
from tests.factories import operator_headers


async def risk_events(client: httpx.AsyncClient, kind: str, subject: str | None = None) -> list[dict]:
    """Every event of `kind` (all pages), those of `subject` only if given."""
    found, cursor = [], None
    while True:
        params = {"kind": kind, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/admin/v1/risk/events", params=params,
                                    headers=await operator_headers(client, "analyst"))
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return [event for event in found if subject is None or event["subject"] == subject]


async def clear_of_window_edge(margin_s: float = 20.0) -> None:
    """Wait for the next 10-minute window when this one ends within `margin_s`: a burst then lands in one."""
    left = WINDOW_S - time.time() % WINDOW_S
    if left < margin_s:
        await asyncio.sleep(left + 0.5)


async def forget_one_tap_window(server, user_id: str) -> None:
    """The user's one-taps of the last minute forgotten, as when the minute has passed (the keys stay admitted)."""
    await server.app.ctx.deps.redis.delete(f"yijian:limit:one_tap_user:{user_id}")

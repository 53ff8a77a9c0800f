"""Feedback through the public API, for the feedback, console and limit tests."""

from __future__ import annotations

import httpx


async def file_feedback(client: httpx.AsyncClient, headers: dict, order_id: str, **overrides) -> httpx.Response:
    body = {"category": "other", "text": "商品包装破损", **overrides}
    return await client.post(f"/api/v1/orders/{order_id}/feedback", json=body, headers=headers)


async def filed(client: httpx.AsyncClient, headers: dict, order_id: str, **overrides) -> dict:
    response = await file_feedback(client, headers, order_id, **overrides)
    assert response.status_code == 201, response.text
    return response.json()

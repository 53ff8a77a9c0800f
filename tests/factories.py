"""Ways to make the things tests need, through the public API only."""

from __future__ import annotations

import uuid

import httpx


def unique_label(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def login_code(label: str) -> str:
    """A sandbox wx.login code: `<label>:<anything>` logs in the user named label (DESIGN.md §5)."""
    return f"{label}:{uuid.uuid4().hex}"


async def login(client: httpx.AsyncClient, label: str | None = None) -> dict:
    response = await client.post("/api/v1/auth/login", json={"code": login_code(label or unique_label())})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def user_headers(client: httpx.AsyncClient, label: str | None = None) -> dict[str, str]:
    return bearer(await login(client, label))


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The contract's error shape (DESIGN.md §2), with the expected status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["remedy"]
    assert isinstance(error["retryable"], bool)
    assert error["request_id"] == response.headers["x-request-id"]
    return error

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


async def bind_phone(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Bind a phone through the sandbox's getPhoneNumber code: money settings need one (DESIGN.md §7)."""
    response = await client.post("/api/v1/me/phone", headers=headers, json={"code": "phone:13900001111"})
    assert response.status_code == 200, response.text


async def phone_user_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """A fresh user with a bound phone, who may set a wallet PIN."""
    headers = await user_headers(client)
    await bind_phone(client, headers)
    return headers


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The contract's error shape (DESIGN.md §2), with the expected status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["remedy"]
    assert isinstance(error["retryable"], bool)
    assert error["request_id"] == response.headers["x-request-id"]
    return error


# Operators (DESIGN.md §6): created through the service, logged in over HTTP.

OPERATOR_PASSWORD = "correct horse battery staple"


async def make_operator(client: httpx.AsyncClient, role: str = "operator") -> tuple[str, dict[str, str]]:
    """A fresh operator with `role`: (its id, its login headers)."""
    from app.operators.service import create_operator

    operator = await create_operator(unique_label(f"{role}-"), OPERATOR_PASSWORD, role)
    response = await client.post("/admin/v1/auth/login",
                                 json={"username": operator.username, "password": OPERATOR_PASSWORD})
    assert response.status_code == 200, response.text
    return operator.id, bearer(response.json())


_operator_headers: dict[tuple[str, str], dict[str, str]] = {}


async def operator_headers(client: httpx.AsyncClient, role: str = "operator") -> dict[str, str]:
    """Login headers of one shared operator per role and server (argon2 makes each new one cost ~0.1 s)."""
    key = (str(client.base_url), role)
    if key not in _operator_headers:
        _operator_headers[key] = (await make_operator(client, role))[1]
    return _operator_headers[key]


async def make_product(client: httpx.AsyncClient, **overrides) -> dict:
    """A product created by an operator over HTTP; unique SKU unless given."""
    data = {"sku": unique_label("SKU-"), "name": "测试商品", "price_fen": 1200, "stock": 10, "category": "咖啡"}
    data.update(overrides)
    response = await client.post("/admin/v1/products", json=data, headers=await operator_headers(client))
    assert response.status_code == 201, response.text
    return response.json()


async def make_promotion(client: httpx.AsyncClient, **overrides) -> dict:
    """A promotion created by an operator over HTTP (an amount_off of 100 fen unless overridden)."""
    data = {"name": unique_label("促销"), "kind": "amount_off", "amount_off_fen": 100}
    data.update(overrides)
    response = await client.post("/admin/v1/promotions", json=data, headers=await operator_headers(client))
    assert response.status_code == 201, response.text
    return response.json()

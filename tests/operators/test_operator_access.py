"""Who may call /admin: token kinds and the role matrix (DESIGN.md §2, §6)."""

from __future__ import annotations

import pytest

from tests.factories import assert_error, bearer, login, make_operator, operator_headers, unique_label, user_headers

NEW_PRODUCT = {"name": "拿铁", "price_fen": 1800, "stock": 5, "category": "咖啡"}


def _product() -> dict:
    return {**NEW_PRODUCT, "sku": unique_label("ACL-")}


async def test_admin_routes_without_a_token_are_auth_token_missing(client):
    assert_error(await client.get("/admin/v1/products"), 401, "AUTH_TOKEN_MISSING")


async def test_a_garbage_token_is_invalid(client):
    assert_error(await client.get("/admin/v1/products", headers={"Authorization": "Bearer nope"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_a_mini_program_token_never_opens_admin(client):
    headers = await user_headers(client)
    assert_error(await client.get("/admin/v1/products", headers=headers), 401, "AUTH_TOKEN_INVALID")
    assert_error(await client.post("/admin/v1/products", json=_product(), headers=headers), 401, "AUTH_TOKEN_INVALID")


async def test_an_operator_token_never_opens_the_client_api(client):
    headers = await operator_headers(client, "admin")
    assert_error(await client.get("/api/v1/wallet", headers=headers), 401, "AUTH_TOKEN_INVALID")
    assert_error(await client.get("/api/v1/products", headers=headers), 401, "AUTH_TOKEN_INVALID")


async def test_token_of_a_deleted_operator_is_invalid(client):
    from app.operators.models import Operator

    operator_id, headers = await make_operator(client, "analyst")
    await Operator.filter(id=operator_id).delete()
    assert_error(await client.get("/admin/v1/products", headers=headers), 401, "AUTH_TOKEN_INVALID")


async def test_the_current_role_counts_not_the_one_in_the_token(client):
    from app.operators.models import Operator

    operator_id, headers = await make_operator(client, "operator")
    await Operator.filter(id=operator_id).update(role="analyst")
    assert_error(await client.post("/admin/v1/products", json=_product(), headers=headers), 403, "FORBIDDEN")
    assert (await client.get("/admin/v1/products", headers=headers)).status_code == 200


@pytest.mark.parametrize("role", ["admin", "operator", "analyst"])
async def test_every_role_reads(client, role):
    headers = await operator_headers(client, role)
    for path in ("/admin/v1/products", "/admin/v1/promotions", "/admin/v1/audit"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize("role, allowed", [("admin", True), ("operator", True), ("analyst", False)])
async def test_who_manages_catalog_promotions_and_wallets(client, role, allowed):
    headers = await operator_headers(client, role)
    user = await login(client)
    user_id = user["user"]["id"]
    calls = [
        ("/admin/v1/products", _product()),
        ("/admin/v1/promotions", {"name": unique_label("p"), "kind": "amount_off", "amount_off_fen": 1,
                                  "enabled": False}),
        (f"/admin/v1/wallets/{user_id}/credit", {"amount_fen": 100, "reason": "补偿"}),
    ]
    for path, payload in calls:
        response = await client.post(path, json=payload, headers=headers)
        if allowed:
            assert response.status_code == 201, (path, response.text)
        else:
            error = assert_error(response, 403, "FORBIDDEN")
            assert error["role"] == "analyst"
    wallet = (await client.get("/api/v1/wallet", headers=bearer(user))).json()
    assert wallet["balance_fen"] == (100 if allowed else 0)


async def test_analyst_cannot_patch(client):
    headers = await operator_headers(client, "analyst")
    assert_error(await client.patch("/admin/v1/products/prd_x", json={"stock": 1}, headers=headers), 403, "FORBIDDEN")
    assert_error(await client.patch("/admin/v1/promotions/pro_x", json={"enabled": False}, headers=headers),
                 403, "FORBIDDEN")


@pytest.mark.parametrize("role", ["operator", "analyst"])
async def test_only_admins_manage_operators(client, role):
    headers = await operator_headers(client, role)
    assert_error(await client.get("/admin/v1/operators", headers=headers), 403, "FORBIDDEN")
    body = {"username": unique_label("new"), "password": "long enough password", "role": "operator"}
    assert_error(await client.post("/admin/v1/operators", json=body, headers=headers), 403, "FORBIDDEN")


async def test_admin_creates_an_operator_who_can_log_in_and_it_is_audited(client):
    headers = await operator_headers(client, "admin")
    username = unique_label("new")
    response = await client.post("/admin/v1/operators", headers=headers,
                                 json={"username": username, "password": "long enough password", "role": "analyst"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == username and created["role"] == "analyst"
    assert "password" not in response.text and "password_hash" not in response.text
    login = await client.post("/admin/v1/auth/login", json={"username": username, "password": "long enough password"})
    assert login.status_code == 200
    listed = (await client.get("/admin/v1/operators", headers=headers)).json()["items"]
    assert created["id"] in {item["id"] for item in listed}
    audit = (await client.get("/admin/v1/audit", params={"target_id": created["id"]}, headers=headers)).json()
    assert [entry["action"] for entry in audit["items"]] == ["operator.create"]
    assert "password" not in str(audit)


async def test_reused_username_is_a_validation_error(client):
    headers = await operator_headers(client, "admin")
    body = {"username": unique_label("dup"), "password": "long enough password"}
    assert (await client.post("/admin/v1/operators", json=body, headers=headers)).status_code == 201
    error = assert_error(await client.post("/admin/v1/operators", json=body, headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "username", "reason": "is taken"}]

"""Preferences: defaults, PATCH of any subset, validation and ownership of the default address (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import assert_error, user_headers
from tests.preferences.helpers import add_address

DEFAULTS = {"default_payment_method": None, "default_address_id": None, "invoice": None, "one_tap_enabled": True}


async def test_a_new_user_has_the_default_preferences(client):
    response = await client.get("/api/v1/me/preferences", headers=await user_headers(client))
    assert response.status_code == 200
    assert response.json() == DEFAULTS


async def test_patch_changes_only_the_fields_sent_and_answers_the_whole_resource(client):
    headers = await user_headers(client)
    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": "wallet"})
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "default_payment_method": "wallet"}

    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"one_tap_enabled": False})
    assert response.json() == {**DEFAULTS, "default_payment_method": "wallet", "one_tap_enabled": False}
    assert (await client.get("/api/v1/me/preferences", headers=headers)).json() == response.json()


async def test_concurrent_first_patches_all_succeed(client):
    headers = await user_headers(client)
    responses = await asyncio.gather(*[
        client.patch("/api/v1/me/preferences", headers=headers, json={"one_tap_enabled": False}) for _ in range(5)
    ])
    assert [r.status_code for r in responses] == [200] * 5
    after = (await client.get("/api/v1/me/preferences", headers=headers)).json()
    assert after == {**DEFAULTS, "one_tap_enabled": False}


async def test_patch_with_null_clears_the_payment_method(client):
    headers = await user_headers(client)
    await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": "wechatpay"})
    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": None})
    assert response.status_code == 200
    assert response.json() == DEFAULTS


async def test_an_empty_patch_changes_nothing(client):
    response = await client.patch("/api/v1/me/preferences", headers=await user_headers(client), json={})
    assert response.status_code == 200
    assert response.json() == DEFAULTS


@pytest.mark.parametrize("method", ["alipay", "", "WECHATPAY", 1])
async def test_an_unknown_payment_method_is_refused(client, method):
    headers = await user_headers(client)
    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": method})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["default_payment_method"]
    assert (await client.get("/api/v1/me/preferences", headers=headers)).json() == DEFAULTS


async def test_one_tap_enabled_must_be_a_boolean(client):
    response = await client.patch("/api/v1/me/preferences", headers=await user_headers(client),
                                  json={"one_tap_enabled": None})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["one_tap_enabled"]


async def test_patch_body_that_is_not_json_is_malformed(client):
    response = await client.patch("/api/v1/me/preferences", headers=await user_headers(client), content=b"{nope")
    assert_error(response, 400, "MALFORMED_JSON")


async def test_default_address_can_be_switched_and_cleared(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers)
    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_address_id": second["id"]})
    assert response.status_code == 200
    assert response.json()["default_address_id"] == second["id"]
    listed = (await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]
    assert {a["id"]: a["is_default"] for a in listed} == {first["id"]: False, second["id"]: True}

    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_address_id": None})
    assert response.json()["default_address_id"] is None
    listed = (await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]
    assert [a["is_default"] for a in listed] == [False, False]


async def test_an_unknown_address_cannot_be_the_default(client):
    headers = await user_headers(client)
    await add_address(client, headers)
    response = await client.patch("/api/v1/me/preferences", headers=headers, json={"default_address_id": "adr_nope"})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "default_address_id", "reason": "is not one of your addresses"}]


async def test_preferences_need_a_token(client):
    assert_error(await client.get("/api/v1/me/preferences"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.patch("/api/v1/me/preferences", json={}), 401, "AUTH_TOKEN_MISSING")
    # The token is checked before the body is read.
    assert_error(await client.patch("/api/v1/me/preferences", content=b"{nope"), 401, "AUTH_TOKEN_MISSING")

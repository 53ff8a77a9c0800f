"""Binding the phone number through getPhoneNumber: stored encrypted, answered and logged only masked."""

from __future__ import annotations

from app.auth.models import User
from tests.factories import assert_error, bearer, login, unique_label
from tests.preferences.helpers import random_mobile


async def test_binding_answers_the_masked_number_and_login_then_has_phone(client, server):
    label = unique_label()
    tokens = await login(client, label)
    assert tokens["user"]["has_phone"] is False
    phone = random_mobile()
    response = await client.post("/api/v1/me/phone", headers=bearer(tokens), json={"code": f"phone:{phone}"})
    assert response.status_code == 200
    assert response.json() == {"phone_masked": f"{phone[:3]}****{phone[-4:]}"}

    again = await client.post("/api/v1/auth/login", json={"code": f"{label}:x"})
    assert again.json()["user"]["has_phone"] is True
    others = [await client.get(path, headers=bearer(tokens))
              for path in ("/api/v1/me/preferences", "/api/v1/checkout/prefill")]
    for text in [response.text, again.text, *(r.text for r in others)]:
        assert phone not in text
    assert phone not in server.logs.text()


async def test_the_number_is_stored_encrypted_for_this_user_only(client, server):
    tokens = await login(client)
    phone = random_mobile()
    await client.post("/api/v1/me/phone", headers=bearer(tokens), json={"code": f"phone:{phone}"})
    user = await User.get(id=tokens["user"]["id"])
    assert phone not in user.phone_enc
    assert user.phone_masked == f"{phone[:3]}****{phone[-4:]}"
    cipher = server.app.ctx.deps.cipher
    assert cipher.decrypt(user.phone_enc, context=f"phone:{user.id}") == phone


async def test_binding_again_replaces_the_number(client):
    headers = bearer(await login(client))
    await client.post("/api/v1/me/phone", headers=headers, json={"code": "phone:13800138000"})
    response = await client.post("/api/v1/me/phone", headers=headers, json={"code": "phone:13912345678"})
    assert response.json() == {"phone_masked": "139****5678"}


async def test_a_code_wechat_refuses_is_a_400(client):
    tokens = await login(client)
    error = assert_error(await client.post("/api/v1/me/phone", headers=bearer(tokens), json={"code": "bogus"}),
                         400, "PHONE_CODE_INVALID")
    assert error["retryable"] is False


async def test_a_refused_code_leaves_the_user_without_phone(client):
    label = unique_label()
    tokens = await login(client, label)
    await client.post("/api/v1/me/phone", headers=bearer(tokens), json={"code": "phone:123"})
    assert (await login(client, label))["user"]["has_phone"] is False


async def test_a_missing_code_is_a_validation_error(client):
    error = assert_error(await client.post("/api/v1/me/phone", headers=bearer(await login(client)), json={}),
                         422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["code"]


async def test_phone_binding_needs_a_token(client):
    assert_error(await client.post("/api/v1/me/phone", json={"code": "phone:13800138000"}), 401, "AUTH_TOKEN_MISSING")

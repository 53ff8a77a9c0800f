"""The WeChat session_key stays on the server, encrypted, and out of every response and log line."""

from __future__ import annotations

from app.auth.models import User
from app.core.security import FieldCipher
from tests.factories import bearer, login, login_code, unique_label


async def test_session_key_is_encrypted_at_rest_and_never_shown(client, server):
    label = unique_label()
    code = login_code(label)
    response = await client.post("/api/v1/auth/login", json={"code": code})
    tokens = response.json()
    user = await User.get(id=tokens["user"]["id"])
    session_key = FieldCipher(server.settings.encryption_key).decrypt(
        user.session_key_enc, context=f"session_key:{user.id}"
    )
    assert len(session_key) >= 16
    assert session_key not in user.session_key_enc
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    wallet = await client.get("/api/v1/wallet", headers=bearer(refreshed.json()))
    for text in (response.text, refreshed.text, wallet.text):
        assert session_key not in text
        assert "session_key" not in text
    logs = server.logs.text()
    assert session_key not in logs
    assert tokens["access_token"] not in logs
    assert tokens["refresh_token"] not in logs
    assert code not in logs


async def test_a_second_login_replaces_the_stored_session_key(client):
    label = unique_label()
    first = await login(client, label)
    before = (await User.get(id=first["user"]["id"])).session_key_enc
    await login(client, label)
    after = (await User.get(id=first["user"]["id"])).session_key_enc
    assert after != before

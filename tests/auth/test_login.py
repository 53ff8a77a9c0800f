"""Login through the sandbox over HTTP, token rotation, reuse detection, logout (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

from tests.factories import assert_error, bearer, login, login_code, unique_label


async def test_login_returns_a_token_pair_and_the_user(client):
    label = unique_label()
    response = await client.post("/api/v1/auth/login", json={"code": login_code(label)})
    assert response.status_code == 200
    data = response.json()
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 900
    assert data["access_token"] and data["refresh_token"]
    assert data["user"]["is_new_user"] is True
    assert data["user"]["has_phone"] is False
    assert "session_key" not in response.text


async def test_same_label_is_the_same_user_and_not_new_the_second_time(client):
    label = unique_label()
    first = await login(client, label)
    second = await login(client, label)
    assert second["user"]["id"] == first["user"]["id"]
    assert second["user"]["is_new_user"] is False


async def test_concurrent_first_logins_of_one_person_make_one_user(client):
    label = unique_label()
    responses = await asyncio.gather(*[
        client.post("/api/v1/auth/login", json={"code": login_code(label)}) for _ in range(5)
    ])
    assert [r.status_code for r in responses] == [200] * 5
    assert len({r.json()["user"]["id"] for r in responses}) == 1


async def test_a_login_code_works_once(client):
    code = login_code(unique_label())
    assert (await client.post("/api/v1/auth/login", json={"code": code})).status_code == 200
    error = assert_error(await client.post("/api/v1/auth/login", json={"code": code}), 400, "AUTH_CODE_INVALID")
    assert error["retryable"] is False


async def test_a_code_wechat_does_not_know_is_refused(client):
    assert_error(await client.post("/api/v1/auth/login", json={"code": "garbage"}), 400, "AUTH_CODE_INVALID")


async def test_login_without_code_is_a_validation_error(client):
    error = assert_error(await client.post("/api/v1/auth/login", json={}), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "code"


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(client):
    tokens = await login(client)
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != tokens["refresh_token"] and fresh["access_token"] != tokens["access_token"]
    assert (await client.get("/api/v1/wallet", headers=bearer(fresh))).status_code == 200
    # The old refresh token, sent again, gets no new pair (a rotated token presented again is a reuse, §3).
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                 401, "AUTH_REFRESH_REUSED")


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client):
    tokens = await login(client)
    rotated = (await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    # The thief replays the old refresh token: the family is revoked.
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                 401, "AUTH_REFRESH_REUSED")
    # Replayed again (or by a concurrent request that read the family only after it was revoked): still a reuse.
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                 401, "AUTH_REFRESH_REUSED")
    # Now the legitimate holder's newer refresh token and access token are dead too.
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}),
                 401, "AUTH_TOKEN_INVALID")
    assert_error(await client.get("/api/v1/wallet", headers=bearer(rotated)), 401, "AUTH_TOKEN_INVALID")


async def test_concurrent_refreshes_with_one_token_let_exactly_one_through(client):
    tokens = await login(client)
    responses = await asyncio.gather(*[
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}) for _ in range(5)
    ])
    assert sum(r.status_code == 200 for r in responses) == 1
    assert all(r.json()["error"]["code"] == "AUTH_REFRESH_REUSED" for r in responses if r.status_code != 200)


async def test_logout_revokes_access_and_refresh_tokens(client):
    tokens = await login(client)
    response = await client.post("/api/v1/auth/logout", headers=bearer(tokens))
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await client.get("/api/v1/wallet", headers=bearer(tokens)), 401, "AUTH_TOKEN_INVALID")
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                 401, "AUTH_TOKEN_INVALID")


async def test_logout_of_one_session_leaves_the_other_session_working(client):
    label = unique_label()
    phone_session = await login(client, label)
    tablet_session = await login(client, label)
    await client.post("/api/v1/auth/logout", headers=bearer(phone_session))
    assert (await client.get("/api/v1/wallet", headers=bearer(tablet_session))).status_code == 200

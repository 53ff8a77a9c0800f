"""Operator login: tokens, the same answer for unknown users, lockout after five failures (DESIGN.md §6)."""

from __future__ import annotations

import asyncio
import time

import jwt

from app.operators.models import Operator
from app.operators.service import create_operator
from tests.factories import OPERATOR_PASSWORD, assert_error, bearer, unique_label


async def _new_operator(role: str = "operator") -> Operator:
    return await create_operator(unique_label("login-"), OPERATOR_PASSWORD, role)


async def _login(client, username: str, password: str):
    return await client.post("/admin/v1/auth/login", json={"username": username, "password": password})


async def test_login_returns_an_admin_audience_token_with_the_role(client, server):
    operator = await _new_operator("analyst")
    response = await _login(client, operator.username, OPERATOR_PASSWORD)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access_token", "expires_in"}
    assert data["expires_in"] == server.settings.access_ttl_s
    claims = jwt.decode(data["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "yijian-admin"
    assert claims["sub"] == operator.id
    assert claims["role"] == "analyst"
    assert claims["typ"] == "access"
    assert OPERATOR_PASSWORD not in server.logs.text()


async def test_wrong_password_and_unknown_user_answer_alike(client):
    operator = await _new_operator()
    wrong = assert_error(await _login(client, operator.username, "not the password"), 401, "OPERATOR_LOGIN_FAILED")
    unknown = assert_error(await _login(client, unique_label("nobody-"), "whatever"), 401, "OPERATOR_LOGIN_FAILED")
    assert {k: v for k, v in wrong.items() if k != "request_id"} == \
        {k: v for k, v in unknown.items() if k != "request_id"}


async def test_unknown_user_costs_the_argon2_time_too(client):
    operator = await _new_operator()
    await _login(client, operator.username, "warm-up")  # the dummy hash and argon2 are ready
    await _login(client, unique_label("nobody-"), "warm-up")

    async def timed(username: str) -> float:
        started = time.perf_counter()
        await _login(client, username, "wrong")
        return time.perf_counter() - started

    known = min([await timed(operator.username) for _ in range(2)])
    unknown = min([await timed(unique_label("nobody-")) for _ in range(2)])
    assert unknown > known * 0.5, (known, unknown)


async def test_missing_fields_are_a_validation_error(client):
    error = assert_error(await client.post("/admin/v1/auth/login", json={"username": "x"}), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "password", "reason": "Field required"}]


async def test_five_failures_lock_the_account_even_for_the_right_password(client):
    operator = await _new_operator()
    for _ in range(4):
        assert_error(await _login(client, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
    fifth = await _login(client, operator.username, "wrong")
    error = assert_error(fifth, 429, "OPERATOR_LOCKED")
    assert int(fifth.headers["retry-after"]) == 900
    assert error["retryable"] is True and error["locked_until"]
    right = await _login(client, operator.username, OPERATOR_PASSWORD)
    assert_error(right, 429, "OPERATOR_LOCKED")
    assert 1 <= int(right.headers["retry-after"]) <= 900


async def test_lock_ends_after_fifteen_minutes(client):
    operator = await _new_operator()
    for _ in range(5):
        await _login(client, operator.username, "wrong")
    locked_until = (await Operator.get(id=operator.id)).locked_until
    # Fifteen minutes pass (the lock is moved into the past instead of waiting).
    await Operator.filter(id=operator.id).update(locked_until=locked_until.replace(year=locked_until.year - 1))
    assert (await _login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200


async def test_a_right_password_resets_the_failure_count(client):
    operator = await _new_operator()
    for _ in range(4):
        await _login(client, operator.username, "wrong")
    assert (await _login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200
    for _ in range(4):
        assert_error(await _login(client, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
    assert (await _login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200


async def test_failures_older_than_the_window_start_a_new_count(client):
    operator = await _new_operator()
    for _ in range(4):
        await _login(client, operator.username, "wrong")
    since = (await Operator.get(id=operator.id)).failed_since
    await Operator.filter(id=operator.id).update(failed_since=since.replace(year=since.year - 1))
    assert_error(await _login(client, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
    assert (await Operator.get(id=operator.id)).failed_logins == 1


async def test_concurrent_failures_all_count_and_lock(client):
    operator = await _new_operator()
    responses = await asyncio.gather(*[_login(client, operator.username, "wrong") for _ in range(8)])
    codes = [r.json()["error"]["code"] for r in responses]
    assert codes.count("OPERATOR_LOCKED") >= 1, codes
    assert set(codes) <= {"OPERATOR_LOGIN_FAILED", "OPERATOR_LOCKED"}
    assert_error(await _login(client, operator.username, OPERATOR_PASSWORD), 429, "OPERATOR_LOCKED")


async def test_failure_counter_is_race_safe(client):
    operator = await _new_operator()
    await asyncio.gather(*[_login(client, operator.username, "wrong") for _ in range(4)])
    assert (await Operator.get(id=operator.id)).failed_logins == 4

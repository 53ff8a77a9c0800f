"""Operator login: tokens, the same answer for unknown users, lockout after five failures (DESIGN.md §6).

Wrong passwords come from source addresses of their own (tests/operators/helpers.py): one source may send four
to one account (app/operators/throttle.py), so a lockout takes two.
"""

from __future__ import annotations

import time

import jwt

from app.operators.models import Operator
from tests.factories import OPERATOR_PASSWORD, assert_error, unique_label
from tests.operators.helpers import clients_from, login, new_operator


async def test_login_returns_an_admin_audience_token_with_the_role(client, server):
    operator = await new_operator("analyst")
    response = await login(client, operator.username, OPERATOR_PASSWORD)
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


async def test_wrong_password_and_unknown_user_answer_alike(server):
    operator = await new_operator()
    async with clients_from(server, 1) as (client,):
        wrong = assert_error(await login(client, operator.username, "not the password"), 401,
                             "OPERATOR_LOGIN_FAILED")
        unknown = assert_error(await login(client, unique_label("nobody-"), "whatever"), 401,
                               "OPERATOR_LOGIN_FAILED")
    assert {k: v for k, v in wrong.items() if k != "request_id"} == \
        {k: v for k, v in unknown.items() if k != "request_id"}


async def test_unknown_user_costs_the_argon2_time_too(server):
    operator = await new_operator()
    async with clients_from(server, 1) as (client,):
        await login(client, operator.username, "warm-up")  # the dummy hash and argon2 are ready
        await login(client, unique_label("nobody-"), "warm-up")

        async def timed(username: str) -> float:
            started = time.perf_counter()
            await login(client, username, "wrong")
            return time.perf_counter() - started

        known = min([await timed(operator.username) for _ in range(2)])
        unknown = min([await timed(unique_label("nobody-")) for _ in range(2)])
    assert unknown > known * 0.5, (known, unknown)


async def test_unknown_usernames_create_no_rows(server):
    before = await Operator.all().count()
    async with clients_from(server, 1) as (client,):
        for _ in range(3):
            assert_error(await login(client, unique_label("nobody-"), "wrong"), 401, "OPERATOR_LOGIN_FAILED")
    assert await Operator.all().count() == before


async def test_missing_fields_are_a_validation_error(client):
    error = assert_error(await client.post("/admin/v1/auth/login", json={"username": "x"}), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "password", "reason": "Field required"}]


async def _fail_five_times(server, username: str):
    """Four wrong passwords from one source and the fifth from another: the answer to the fifth."""
    async with clients_from(server, 2) as (first, second):
        for _ in range(4):
            assert_error(await login(first, username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
        return await login(second, username, "wrong")


async def test_five_failures_lock_the_account_even_for_the_right_password(server):
    operator = await new_operator()
    fifth = await _fail_five_times(server, operator.username)
    error = assert_error(fifth, 429, "OPERATOR_LOCKED")
    assert int(fifth.headers["retry-after"]) == 900
    assert error["retryable"] is True and error["locked_until"]
    async with clients_from(server, 1) as (client,):
        right = await login(client, operator.username, OPERATOR_PASSWORD)
    assert_error(right, 429, "OPERATOR_LOCKED")
    assert 1 <= int(right.headers["retry-after"]) <= 900


async def test_lock_ends_after_fifteen_minutes(server):
    operator = await new_operator()
    await _fail_five_times(server, operator.username)
    locked_until = (await Operator.get(id=operator.id)).locked_until
    # Fifteen minutes pass (the lock is moved into the past instead of waiting).
    await Operator.filter(id=operator.id).update(locked_until=locked_until.replace(year=locked_until.year - 1))
    async with clients_from(server, 1) as (client,):
        assert (await login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200


async def test_a_right_password_resets_the_failure_count(server):
    operator = await new_operator()
    async with clients_from(server, 2) as (client, other):
        for _ in range(3):
            assert_error(await login(client, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
        assert (await login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200
        # The account's count and this source's count on it both start again.
        for _ in range(4):
            assert_error(await login(client, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
        assert (await login(other, operator.username, OPERATOR_PASSWORD)).status_code == 200
    assert (await Operator.get(id=operator.id)).failed_logins == 0


async def test_failures_older_than_the_window_start_a_new_count(server):
    operator = await new_operator()
    async with clients_from(server, 2) as (client, other):
        for _ in range(4):
            await login(client, operator.username, "wrong")
        since = (await Operator.get(id=operator.id)).failed_since
        await Operator.filter(id=operator.id).update(failed_since=since.replace(year=since.year - 1))
        assert_error(await login(other, operator.username, "wrong"), 401, "OPERATOR_LOGIN_FAILED")
    assert (await Operator.get(id=operator.id)).failed_logins == 1

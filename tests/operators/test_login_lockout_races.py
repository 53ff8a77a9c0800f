"""Operator login under concurrency: five wrong passwords lock, nothing is verified while locked, sources are
limited before accounts, and password hashes running at once are bounded (DESIGN.md §6)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from app.operators import throttle
from app.operators.models import Operator
from tests.factories import OPERATOR_PASSWORD, assert_error, unique_label
from tests.operators.helpers import clients_from, codes, login, new_operator, new_source


def _lock_transitions(server, mark: int) -> int:
    return sum('"msg":"operator locked"' in line for line in server.logs.lines[mark:])


async def _burst(server, username: str, passwords: list[str]) -> list[str]:
    """Each password sent at once from a source of its own."""
    async with clients_from(server, len(passwords)) as clients:
        return codes(await asyncio.gather(*[login(c, username, p) for c, p in zip(clients, passwords)]))


async def test_bursts_of_thirty_wrong_passwords_verify_five_and_then_nothing(server):
    operator = await new_operator()
    mark, seen = len(server.logs.lines), []
    for _ in range(20):  # hashes per username are bounded, so a burst may verify only a few
        seen += await _burst(server, operator.username, ["wrong"] * 30)
        if (await Operator.get(id=operator.id)).locked_until is not None:
            break
    assert set(seen) <= {"OPERATOR_LOGIN_FAILED", "OPERATOR_LOCKED", "RATE_LIMITED"}, seen
    # Verified: four answered OPERATOR_LOGIN_FAILED, the fifth locked; none of the others was checked.
    assert seen.count("OPERATOR_LOGIN_FAILED") == 4, seen
    assert _lock_transitions(server, mark) == 1
    locked = await Operator.get(id=operator.id)
    # Locked: thirty more at once, the right password among them, get no token and leave the lock as it is.
    after = await _burst(server, operator.username, ["wrong"] * 15 + [OPERATOR_PASSWORD] + ["wrong"] * 14)
    assert "TOKEN" not in after and set(after) <= {"OPERATOR_LOCKED", "RATE_LIMITED"}, after
    assert "OPERATOR_LOCKED" in after
    assert _lock_transitions(server, mark) == 1
    assert (await Operator.get(id=operator.id)).locked_until == locked.locked_until


async def test_a_mixed_burst_counts_every_verified_wrong_password(server):
    operator = await new_operator()
    answers = await _burst(server, operator.username, ["wrong"] * 10 + [OPERATOR_PASSWORD] + ["wrong"] * 9)
    assert set(answers) <= {"OPERATOR_LOGIN_FAILED", "RATE_LIMITED", "TOKEN", "OPERATOR_LOCKED"}, answers
    assert answers.count("TOKEN") <= 1
    stored = await Operator.get(id=operator.id)
    assert stored.login_checks == 0  # every slot taken was given back
    if "TOKEN" not in answers and stored.locked_until is None:
        assert stored.failed_logins == answers.count("OPERATOR_LOGIN_FAILED")


async def test_a_right_password_is_not_verified_while_the_last_slot_is_taken(server):
    operator = await new_operator()
    # Four failures counted and a fifth check running on another worker: its answer decides the lock, so
    # this one, the right password, is answered at once without being verified.
    await Operator.filter(id=operator.id).update(failed_logins=4, failed_since=datetime.now(timezone.utc),
                                                 login_checks=1,
                                                 login_checks_until=datetime.now(timezone.utc) + timedelta(seconds=60))
    async with clients_from(server, 1) as (client,):
        response = await login(client, operator.username, OPERATOR_PASSWORD)
        error = assert_error(response, 429, "RATE_LIMITED")
        assert error["retryable"] is True and response.headers["retry-after"] == "1"
        # That worker died: its slot lapses, and the right password is verified again.
        await Operator.filter(id=operator.id).update(
            login_checks_until=datetime.now(timezone.utc) - timedelta(seconds=1))
        assert (await login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200
    stored = await Operator.get(id=operator.id)
    assert (stored.failed_logins, stored.login_checks) == (0, 0)


async def test_one_source_cannot_lock_someone_elses_account(server):
    operator = await new_operator()
    async with clients_from(server, 1) as (attacker,):
        answers = codes(await asyncio.gather(*[login(attacker, operator.username, "wrong") for _ in range(30)]))
        for _ in range(4):
            answers.append(codes([await login(attacker, operator.username, "wrong")])[0])
        limited = await login(attacker, operator.username, OPERATOR_PASSWORD)
    assert answers.count("OPERATOR_LOGIN_FAILED") == 4, answers
    assert set(answers) == {"OPERATOR_LOGIN_FAILED", "RATE_LIMITED"}
    error = assert_error(limited, 429, "RATE_LIMITED")
    assert error["retryable"] is True and 800 < int(limited.headers["retry-after"]) <= 900
    stored = await Operator.get(id=operator.id)
    assert stored.locked_until is None and stored.failed_logins == 4
    async with clients_from(server, 1) as (owner,):
        assert (await login(owner, operator.username, OPERATOR_PASSWORD)).status_code == 200


async def test_one_source_is_limited_over_every_username(server):
    operator = await new_operator()
    async with clients_from(server, 1) as (client,):
        for _ in range(3):  # right passwords cost the source nothing
            assert (await login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200
        for _ in range(throttle.SOURCE_FAILURES // 2):  # two at a time: as many as one source may hash at once
            for response in await asyncio.gather(*[login(client, unique_label("nobody-"), "wrong") for _ in "ab"]):
                assert_error(response, 401, "OPERATOR_LOGIN_FAILED")
        # Spent: the source's limit comes before any account's, the right password included.
        assert_error(await login(client, unique_label("nobody-"), "wrong"), 429, "RATE_LIMITED")
        assert_error(await login(client, operator.username, OPERATOR_PASSWORD), 429, "RATE_LIMITED")
    async with clients_from(server, 1) as (other,):
        assert (await login(other, operator.username, OPERATOR_PASSWORD)).status_code == 200


def _hashes_bounded(responses) -> list[str]:
    answers = codes(responses)
    assert set(answers) <= {"TOKEN", "OPERATOR_LOGIN_FAILED", "RATE_LIMITED"}, answers
    refused = [r for r in responses if r.status_code == 429]
    assert refused, answers  # more arrived at once than may hash at once
    for response in refused:
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["reason"] == "logins_in_flight"
    return answers


async def test_concurrent_hashes_for_one_username_are_bounded(server):
    operator = await new_operator()
    async with clients_from(server, 20) as clients:
        responses = await asyncio.gather(*[login(c, operator.username, OPERATOR_PASSWORD) for c in clients])
    assert "TOKEN" in _hashes_bounded(responses)


async def test_concurrent_hashes_from_one_source_are_bounded(server):
    async with clients_from(server, 1) as (client,):
        responses = await asyncio.gather(*[login(client, unique_label("nobody-"), "wrong") for _ in range(12)])
    assert "OPERATOR_LOGIN_FAILED" in _hashes_bounded(responses)


async def test_hash_leases_left_by_a_crashed_worker_lapse(server):
    operator = await new_operator()
    redis = server.app.ctx.deps.redis
    username_leases = throttle.keys(new_source(), operator.username)[3]  # the username's, whatever the source
    now_ms = int(time.time() * 1000)
    # Another worker holds every hash lease of this username...
    await redis.zadd(username_leases, {"crashed-1": now_ms, "crashed-2": now_ms})
    async with clients_from(server, 1) as (client,):
        assert_error(await login(client, operator.username, OPERATOR_PASSWORD), 429, "RATE_LIMITED")
        # ...and died: its leases lapse, and logins hash again.
        old = now_ms - throttle.HASH_LEASE_MS - 1
        await redis.zadd(username_leases, {"crashed-1": old, "crashed-2": old})
        assert (await login(client, operator.username, OPERATOR_PASSWORD)).status_code == 200

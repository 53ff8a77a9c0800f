"""Transient WeChat failures are retried, then reported as 503 WECHAT_UNAVAILABLE (retryable)."""

from __future__ import annotations

import time

from tests.factories import assert_error, login_code, unique_label

FAULTS = "/sandbox/wechat/control/faults"


async def test_wechat_busy_after_retries_is_503_and_the_code_still_works_later(client):
    code = login_code(unique_label())
    await client.post(FAULTS, json={"kind": "api_error", "rate": 1.0, "apis": ["jscode2session"]})
    try:
        started = time.monotonic()
        error = assert_error(await client.post("/api/v1/auth/login", json={"code": code}), 503, "WECHAT_UNAVAILABLE")
        assert error["retryable"] is True
        assert time.monotonic() - started < 10  # bounded by the retry deadline
    finally:
        await client.delete(FAULTS)
    # errcode -1 consumed nothing at WeChat: the same code logs in once WeChat is back.
    assert (await client.post("/api/v1/auth/login", json={"code": code})).status_code == 200


async def test_faults_on_other_apis_do_not_touch_login(client):
    await client.post(FAULTS, json={"kind": "api_error", "rate": 1.0, "apis": ["jsapi"]})
    try:
        response = await client.post("/api/v1/auth/login", json={"code": login_code(unique_label())})
    finally:
        await client.delete(FAULTS)
    assert response.status_code == 200

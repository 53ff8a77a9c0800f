"""Wallet PIN: set, change, trivial PINs, the shared lockout, the password-free limit (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import assert_error, phone_user_headers, user_headers

GOOD = "258147"
OTHER = "369250"


async def _set_pin(client, headers, pin=GOOD, current=None):
    body = {"pin": pin} if current is None else {"pin": pin, "current_pin": current}
    return await client.put("/api/v1/wallet/pin", json=body, headers=headers)


async def test_new_wallet_is_empty_without_pin(client):
    response = await client.get("/api/v1/wallet", headers=await user_headers(client))
    assert response.json() == {"balance_fen": 0, "pin_set": False, "pin_free_limit_fen": 0}


async def test_set_pin_answers_204_and_wallet_shows_pin_set(client):
    headers = await phone_user_headers(client)
    response = await _set_pin(client, headers)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/v1/wallet", headers=headers)).json()["pin_set"] is True


@pytest.mark.parametrize("pin", ["123456", "000000", "777777", "654321", "012345"])
async def test_trivial_pins_are_refused(client, pin):
    error = assert_error(await _set_pin(client, await phone_user_headers(client), pin), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "pin"


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "", "１２３４５６", "258147\n"])
async def test_pins_that_are_not_six_digits_are_refused(client, pin):
    error = assert_error(await _set_pin(client, await phone_user_headers(client), pin), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "pin", "reason": "must be exactly 6 digits"}]


async def test_changing_the_pin_needs_the_current_one(client):
    headers = await phone_user_headers(client)
    await _set_pin(client, headers)
    assert_error(await _set_pin(client, headers, OTHER), 403, "WALLET_PIN_REQUIRED")
    error = assert_error(await _set_pin(client, headers, OTHER, current="111222"), 403, "WALLET_PIN_WRONG")
    assert error["attempts_left"] == 4
    assert (await _set_pin(client, headers, OTHER, current=GOOD)).status_code == 204
    # The new PIN is the one that works now.
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": GOOD},
                                    headers=headers), 403, "WALLET_PIN_WRONG")
    assert (await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": OTHER},
                               headers=headers)).status_code == 200


async def test_five_wrong_pins_lock_the_wallet_across_both_endpoints(client):
    headers = await phone_user_headers(client)
    await _set_pin(client, headers)
    left = []
    for attempt in range(4):
        if attempt % 2:
            response = await _set_pin(client, headers, OTHER, current="999111")
        else:
            response = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": "999111"},
                                          headers=headers)
        left.append(assert_error(response, 403, "WALLET_PIN_WRONG")["attempts_left"])
    assert left == [4, 3, 2, 1]
    error = assert_error(await _set_pin(client, headers, OTHER, current="999111"), 403, "WALLET_PIN_LOCKED")
    assert error["locked_until"]
    # Locked: even the right PIN is refused now.
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": GOOD},
                                    headers=headers), 403, "WALLET_PIN_LOCKED")


async def test_a_right_pin_resets_the_count(client):
    headers = await phone_user_headers(client)
    await _set_pin(client, headers)
    for _ in range(3):
        await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": "999111"}, headers=headers)
    assert (await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": GOOD},
                               headers=headers)).status_code == 200
    error = assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": "999111"},
                                            headers=headers), 403, "WALLET_PIN_WRONG")
    assert error["attempts_left"] == 4


async def test_concurrent_wrong_pins_all_count(client):
    headers = await phone_user_headers(client)
    await _set_pin(client, headers)
    responses = await asyncio.gather(*[
        client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": "999111"}, headers=headers)
        for _ in range(5)
    ])
    codes = sorted(r.json()["error"]["code"] for r in responses)
    assert codes.count("WALLET_PIN_LOCKED") >= 1
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": GOOD},
                                    headers=headers), 403, "WALLET_PIN_LOCKED")


async def test_pin_free_limit_needs_a_pin_and_stays_in_range(client):
    headers = await phone_user_headers(client)
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": GOOD},
                                    headers=headers), 403, "WALLET_PIN_NOT_SET")
    await _set_pin(client, headers)
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100}, headers=headers),
                 403, "WALLET_PIN_REQUIRED")
    for bad in (-1, 30001, 1.5, "100"):
        error = assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": bad, "pin": GOOD},
                                                headers=headers), 422, "VALIDATION_FAILED")
        assert error["fields"][0]["field"] == "pin_free_limit_fen"
    response = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 30000, "pin": GOOD}, headers=headers)
    assert response.json() == {"balance_fen": 0, "pin_set": True, "pin_free_limit_fen": 30000}


async def test_pins_never_reach_the_logs(client, server):
    headers = await phone_user_headers(client)
    # Only what was logged while the PINs were sent: across the whole session, some random request id or
    # transaction id carries any six digits sooner or later (one CI run failed on `...742918273f18...`).
    mark = len(server.logs.lines)
    await _set_pin(client, headers, "473829")
    await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": "918273"}, headers=headers)
    logs = "\n".join(server.logs.lines[mark:])
    assert '"route":"/api/v1/wallet/pin"' in logs  # the requests were logged, so there was something to leak
    assert "473829" not in logs and "918273" not in logs


async def test_empty_ledger_is_an_empty_page(client):
    response = await client.get("/api/v1/wallet/ledger", headers=await phone_user_headers(client))
    assert response.json() == {"items": [], "next_cursor": None}

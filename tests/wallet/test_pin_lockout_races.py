"""Wallet PIN lockout under concurrency: at most five wrong PINs verified, nothing while locked (DESIGN.md §3)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from app.orders.models import Order
from app.wallet.models import Wallet
from app.wallet.pin import LOCK_FOR
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error
from tests.risk.helpers import forget_one_tap_window

WRONG = "369250"
BALANCE = 50_000
PRICE = 1_000


def _codes(responses) -> list[str]:
    return ["PAID" if r.status_code == 201 else r.json()["error"]["code"] for r in responses]


def _lock_transitions(server, mark: int) -> int:
    return sum('"msg":"wallet PIN locked"' in line for line in server.logs.lines[mark:])


async def _wallet_shopper(client):
    who = await shopper(client, balance_fen=BALANCE, pin=PIN)
    tea = await product(client, price_fen=PRICE, stock=100)
    return who, {"items": items((tea, 1)), "payment_method": "wallet"}


async def _balance(client, who) -> int:
    return (await client.get("/api/v1/wallet", headers=who["headers"])).json()["balance_fen"]


async def _lock_moment(who) -> datetime:
    wallet = await Wallet.get(user_id=who["user_id"])
    assert wallet.locked_until is not None and wallet.locked_until > datetime.now(timezone.utc)
    return wallet.locked_until - LOCK_FOR


async def test_forty_concurrent_guesses_verify_at_most_five_and_no_payment_follows_the_lock(client, server):
    who, body = await _wallet_shopper(client)
    mark = len(server.logs.lines)
    guesses = [WRONG] * 20 + [PIN] + [WRONG] * 19
    responses = await asyncio.gather(*[one_tap(client, who, {**body, "wallet_pin": pin}) for pin in guesses])
    codes = _codes(responses)
    assert set(codes) <= {"WALLET_PIN_WRONG", "WALLET_PIN_LOCKED", "RATE_LIMITED", "PAID"}, codes
    paid = codes.count("PAID")
    orders = await Order.filter(user_id=who["user_id"]).all()
    assert len(orders) == paid <= 1, codes
    assert await _balance(client, who) == BALANCE - paid * PRICE
    if not paid:
        # Only wrong PINs were verified: four answered WRONG and the fifth locked; the rest were not checked.
        assert codes.count("WALLET_PIN_WRONG") == 4, codes
        assert _lock_transitions(server, mark) == 1
    else:
        # The right PIN got a slot before the lock and reset the count (DESIGN §3): up to four wrong before
        # it, four after, and the lock (if the burst reached it) after its order.
        assert codes.count("WALLET_PIN_WRONG") <= 8, codes
        assert _lock_transitions(server, mark) <= 1
        if _lock_transitions(server, mark):
            assert orders[0].created_at < await _lock_moment(who)
    # Locked now (or after the guesses the burst did not need), the right PIN pays nothing. The burst used up the
    # user's one-taps of this minute (DESIGN §7): the checks below come as if a minute later.
    await forget_one_tap_window(server, who["user_id"])
    for _ in range(5):
        if (await Wallet.get(user_id=who["user_id"])).locked_until is not None:
            break
        await one_tap(client, who, {**body, "wallet_pin": WRONG})
    assert_error(await one_tap(client, who, {**body, "wallet_pin": PIN}), 403, "WALLET_PIN_LOCKED")
    assert await Order.filter(user_id=who["user_id"]).count() == paid
    assert await _balance(client, who) == BALANCE - paid * PRICE


async def _slots_exhausted(user_id: str) -> bool:
    wallet = await Wallet.get(user_id=user_id)
    now = datetime.now(timezone.utc)
    if wallet.locked_until is not None and wallet.locked_until > now:
        return True
    live = wallet.pin_checks if wallet.pin_checks_until and wallet.pin_checks_until > now else 0
    return wallet.pin_failures + live >= 5


async def test_a_right_pin_sent_while_wrong_ones_hold_every_slot_is_not_verified(client, server):
    who, body = await _wallet_shopper(client)
    mark = len(server.logs.lines)
    wrong = [asyncio.create_task(one_tap(client, who, {**body, "wallet_pin": WRONG})) for _ in range(39)]
    for _ in range(2000):  # the wrong PINs took every slot, or already locked the wallet
        if await _slots_exhausted(who["user_id"]):
            break
        await asyncio.sleep(0.005)
    right = await one_tap(client, who, {**body, "wallet_pin": PIN})
    codes = _codes(await asyncio.gather(*wrong))
    assert right.status_code == 403 or right.status_code == 429, right.text
    assert right.json()["error"]["code"] in ("WALLET_PIN_LOCKED", "RATE_LIMITED")
    # Only wrong PINs were verified: four answered WRONG, the fifth locked, every other one was not checked.
    assert codes.count("WALLET_PIN_WRONG") == 4, codes
    assert _lock_transitions(server, mark) == 1
    assert set(codes) <= {"WALLET_PIN_WRONG", "WALLET_PIN_LOCKED", "RATE_LIMITED"}
    assert await Order.filter(user_id=who["user_id"]).count() == 0
    assert await _balance(client, who) == BALANCE


async def test_concurrent_wrong_pins_on_both_pin_endpoints_lock_after_five(client, server):
    who = await shopper(client, pin=PIN)
    mark = len(server.logs.lines)
    patch = {"pin_free_limit_fen": 100, "pin": WRONG}
    change = {"pin": "147258", "current_pin": WRONG}
    responses = await asyncio.gather(*[
        client.patch("/api/v1/wallet", json=patch, headers=who["headers"]) if n % 2 else
        client.put("/api/v1/wallet/pin", json=change, headers=who["headers"]) for n in range(30)
    ])
    codes = _codes(responses)
    assert codes.count("WALLET_PIN_WRONG") == 4, codes
    assert _lock_transitions(server, mark) == 1
    lefts = sorted(r.json()["error"]["attempts_left"] for r in responses
                   if r.json()["error"]["code"] == "WALLET_PIN_WRONG")
    assert lefts == [1, 2, 3, 4]
    for response in responses:
        if response.json()["error"]["code"] == "RATE_LIMITED":
            assert response.headers["retry-after"] == "1"
            assert response.json()["error"]["retryable"] is True


async def test_a_right_pin_during_the_lock_is_refused_and_only_time_ends_it(client):
    who, body = await _wallet_shopper(client)
    for _ in range(5):
        await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": WRONG}, headers=who["headers"])
    locked_until = (await Wallet.get(user_id=who["user_id"])).locked_until
    # The right PIN, on every route that asks for it, is refused and does not clear the lock.
    error = assert_error(await one_tap(client, who, {**body, "wallet_pin": PIN}), 403, "WALLET_PIN_LOCKED")
    assert datetime.fromisoformat(error["locked_until"]) == locked_until
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 100, "pin": PIN},
                                    headers=who["headers"]), 403, "WALLET_PIN_LOCKED")
    assert_error(await client.put("/api/v1/wallet/pin", json={"pin": "147258", "current_pin": PIN},
                                  headers=who["headers"]), 403, "WALLET_PIN_LOCKED")
    assert (await Wallet.get(user_id=who["user_id"])).locked_until == locked_until
    assert await Order.filter(user_id=who["user_id"]).count() == 0
    # Fifteen minutes pass (the lock is moved into the past instead of waiting): the PIN works again.
    await Wallet.filter(user_id=who["user_id"]).update(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert (await one_tap(client, who, {**body, "wallet_pin": PIN})).status_code == 201
    error = assert_error(await one_tap(client, who, {**body, "wallet_pin": WRONG}), 403, "WALLET_PIN_WRONG")
    assert error["attempts_left"] == 4


async def test_slots_left_by_a_crashed_check_lapse(client):
    who = await shopper(client, pin=PIN)
    patch = {"pin_free_limit_fen": 100, "pin": PIN}
    # A process that died mid-check left its slots taken: while they are live, nothing is verified...
    await Wallet.filter(user_id=who["user_id"]).update(
        pin_checks=5, pin_checks_until=datetime.now(timezone.utc) + timedelta(seconds=60))
    response = await client.patch("/api/v1/wallet", json=patch, headers=who["headers"])
    assert_error(response, 429, "RATE_LIMITED")
    assert response.headers["retry-after"] == "1"
    # ...and once they lapse, checks run again and the count is right.
    await Wallet.filter(user_id=who["user_id"]).update(
        pin_checks_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert (await client.patch("/api/v1/wallet", json=patch, headers=who["headers"])).status_code == 200
    wallet = await Wallet.get(user_id=who["user_id"])
    assert (wallet.pin_checks, wallet.pin_failures) == (0, 0)

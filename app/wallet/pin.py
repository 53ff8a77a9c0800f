"""Wallet PIN rules: format, triviality, and the shared lockout (5 wrong PINs lock the wallet for 15 minutes)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

from tortoise.expressions import F

from app.core.errors import AppError, ValidationFailed
from app.core.security import slow_hash, slow_verify
from app.wallet.models import Wallet

MAX_WRONG_PINS = 5
LOCK_FOR = timedelta(minutes=15)
_PIN_RE = re.compile(r"[0-9]{6}")


def check_new_pin(pin: str, field: str = "pin") -> None:
    if not _PIN_RE.fullmatch(pin):
        raise ValidationFailed.one(field, "must be exactly 6 digits")
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:])}
    # Six equal digits, or a run up or down (123456, 654321, 012345): the first PINs anyone tries.
    if steps in ({0}, {1}, {-1}):
        raise ValidationFailed.one(field, "is too simple: avoid repeated or consecutive digits")


async def hash_pin(pin: str) -> str:
    # argon2 takes tens of milliseconds on purpose: keep it off the event loop.
    return await asyncio.to_thread(slow_hash, pin)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _raise_if_locked(wallet: Wallet) -> None:
    if wallet.locked_until is not None and wallet.locked_until > _now():
        raise AppError("WALLET_PIN_LOCKED", locked_until=wallet.locked_until.isoformat())


async def verify_pin(wallet: Wallet, pin: str | None) -> None:
    """Check `pin` against the wallet; every wrong PIN counts toward the lockout, a right one resets it.

    Raises WALLET_PIN_NOT_SET, WALLET_PIN_REQUIRED, WALLET_PIN_WRONG (with attempts_left) or WALLET_PIN_LOCKED.
    """
    if wallet.pin_hash is None:
        raise AppError("WALLET_PIN_NOT_SET")
    _raise_if_locked(wallet)
    if not pin:
        raise AppError("WALLET_PIN_REQUIRED")
    if await asyncio.to_thread(slow_verify, wallet.pin_hash, pin):
        if wallet.pin_failures:
            await Wallet.filter(user_id=wallet.user_id).update(pin_failures=0, locked_until=None)
        return
    # Atomic increment, then read back: concurrent wrong PINs each count, none is lost.
    await Wallet.filter(user_id=wallet.user_id).update(pin_failures=F("pin_failures") + 1)
    failures = (await Wallet.get(user_id=wallet.user_id)).pin_failures
    if failures >= MAX_WRONG_PINS:
        locked_until = _now() + LOCK_FOR
        await Wallet.filter(user_id=wallet.user_id).update(pin_failures=0, locked_until=locked_until)
        raise AppError("WALLET_PIN_LOCKED", locked_until=locked_until.isoformat())
    raise AppError("WALLET_PIN_WRONG", attempts_left=MAX_WRONG_PINS - failures)

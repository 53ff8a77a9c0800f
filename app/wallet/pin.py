"""Wallet PIN rules: format, triviality, and the shared lockout (5 wrong PINs lock the wallet for 15 minutes)."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator

from app.core.clock import now_utc
from app.core.errors import AppError, ValidationFailed
from app.core.lockout import Columns, Lockout
from app.core.security import slow_hash, slow_verify
from app.risk import events as risk
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


def _locked(locked_until: datetime) -> AppError:
    return AppError("WALLET_PIN_LOCKED", locked_until=locked_until.isoformat())


# PUT /wallet/pin, PATCH /wallet and wallet one-taps share it (DESIGN §3).
LOCKOUT = Lockout("wallet PIN", Wallet, Columns(key="user_id", failures="pin_failures", checks="pin_checks",
                                                checks_until="pin_checks_until"),
                  locked=_locked, lock_for=LOCK_FOR, max_failures=MAX_WRONG_PINS)


@asynccontextmanager
async def pin_checked(wallet: Wallet, pin: str | None) -> AsyncIterator[None]:
    """Check `pin` against the wallet, then run the block: what the PIN was asked for.

    Raises WALLET_PIN_NOT_SET, WALLET_PIN_LOCKED, WALLET_PIN_REQUIRED, WALLET_PIN_WRONG (with attempts_left), or
    RATE_LIMITED when the checks running now could lock the wallet (this one is then not verified). A right PIN
    resets the count; its check holds a slot until the block ends, so the wallet cannot lock in between.
    """
    if wallet.pin_hash is None:
        raise AppError("WALLET_PIN_NOT_SET")
    if wallet.locked_until is not None and wallet.locked_until > now_utc():
        raise _locked(wallet.locked_until)
    if not pin:
        raise AppError("WALLET_PIN_REQUIRED")
    async with LOCKOUT.attempt(wallet.user_id) as attempt:
        if not await asyncio.to_thread(slow_verify, wallet.pin_hash, pin):
            try:
                attempts_left = await attempt.failed()
            except AppError as locked:
                if locked.code == "WALLET_PIN_LOCKED":  # this wrong PIN locked the wallet (DESIGN §7)
                    await risk.record(risk.PIN_GUESSING, risk.user(wallet.user_id),
                                      {"locked_until": locked.details.get("locked_until")})
                raise
            raise AppError("WALLET_PIN_WRONG", attempts_left=attempts_left)
        attempt.passed()
        yield

"""Wallet: balance and PIN state, setting and changing the PIN, the password-free limit, the ledger."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app.auth.models import User
from app.core.errors import AppError
from app.core.pagination import newest_first
from app.wallet import pin as pins
from app.wallet.models import LedgerEntry, Wallet
from app.wallet.schemas import WalletOut


def _out(wallet: Wallet) -> WalletOut:
    return WalletOut(balance_fen=wallet.balance_fen, pin_set=wallet.pin_hash is not None,
                     pin_free_limit_fen=wallet.pin_free_limit_fen)


async def view(user_id: str) -> WalletOut:
    """The user's wallet as the API answers it; no wallet row yet is an empty wallet without a PIN."""
    wallet = await Wallet.get_or_none(user_id=user_id)
    return WalletOut(balance_fen=0, pin_set=False, pin_free_limit_fen=0) if wallet is None else _out(wallet)


async def get_or_create_wallet(user_id: str) -> Wallet:
    wallet = await Wallet.get_or_none(user_id=user_id)
    if wallet is not None:
        return wallet
    try:
        return await Wallet.create(user_id=user_id)
    except IntegrityError:  # created by a concurrent request
        return await Wallet.get(user_id=user_id)


async def require_phone(user_id: str) -> None:
    """DESIGN §7: money settings (the PIN, a higher password-free limit) need a bound phone first."""
    if not await User.filter(id=user_id, phone_enc__not_isnull=True).exists():
        raise AppError("PHONE_REQUIRED")


async def set_pin(user_id: str, new_pin: str, current_pin: str | None) -> None:
    """Set the PIN; changing an existing one needs the current PIN (which counts toward the lockout)."""
    pins.check_new_pin(new_pin)
    await require_phone(user_id)
    wallet = await get_or_create_wallet(user_id)
    if wallet.pin_hash is None:
        await Wallet.filter(user_id=user_id).update(pin_hash=await pins.hash_pin(new_pin))
        return
    async with pins.pin_checked(wallet, current_pin):
        await Wallet.filter(user_id=user_id).update(pin_hash=await pins.hash_pin(new_pin))


async def set_pin_free_limit(user_id: str, limit_fen: int, pin: str | None) -> WalletOut:
    wallet = await get_or_create_wallet(user_id)
    if limit_fen > wallet.pin_free_limit_fen:
        await require_phone(user_id)
    async with pins.pin_checked(wallet, pin):
        await Wallet.filter(user_id=user_id).update(pin_free_limit_fen=limit_fen)
    return _out(await Wallet.get(user_id=user_id))


async def ledger_page(user_id: str, limit: int, before_id: str | None) -> list[LedgerEntry]:
    """Up to limit+1 entries, newest first (ids sort by creation time), older than `before_id`."""
    return await newest_first(LedgerEntry.filter(user_id=user_id), limit, before_id)

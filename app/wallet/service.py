"""Wallet reads: balance, PIN state and the password-free limit."""

from __future__ import annotations

from dataclasses import dataclass

from app.wallet.models import Wallet


@dataclass(frozen=True)
class WalletView:
    balance_fen: int
    pin_set: bool
    pin_free_limit_fen: int

    def to_dict(self) -> dict:
        return {"balance_fen": self.balance_fen, "pin_set": self.pin_set,
                "pin_free_limit_fen": self.pin_free_limit_fen}


async def view(user_id: str) -> WalletView:
    wallet = await Wallet.get_or_none(user_id=user_id)
    if wallet is None:
        return WalletView(0, False, 0)
    return WalletView(wallet.balance_fen, wallet.pin_hash is not None, wallet.pin_free_limit_fen)

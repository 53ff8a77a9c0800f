"""The stored-value wallet as a payment provider: debits and credits inside the caller's transaction."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from app.wallet import ledger


class WalletProvider:
    """Not a `PaymentProvider`: the wallet's payment is a write in our own database that must commit with the order,
    the stock and the ledger, or not at all, so it works on the caller's transaction (docs/DECISIONS.md)."""

    name = "wallet"

    async def debit(self, connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, order_id: str,
                    reason: str = "支付订单") -> int:
        """Take `amount_fen` if the balance covers it (one conditional update: never below zero); new balance."""
        entry = await ledger.debit(connection, user_id, amount_fen, order_id=order_id, reason=reason)
        return entry.balance_after_fen

    async def credit(self, connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, kind: str,
                     order_id: str | None = None, reason: str = "") -> int:
        """Add to the balance (a refund, say); the wallet row must exist. Returns the new balance."""
        entry = await ledger.credit(connection, user_id, amount_fen, kind=kind, order_id=order_id, reason=reason)
        return entry.balance_after_fen

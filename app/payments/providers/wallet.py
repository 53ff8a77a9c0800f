"""The stored-value wallet as a payment provider: debits and credits inside the caller's transaction."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.core.errors import AppError
from app.core.security import new_id
from app.wallet.models import LedgerEntry, Wallet


def insufficient_balance(balance_fen: int, payable_fen: int) -> AppError:
    """The one answer to a balance that does not cover the order, found early (checkout) or at the debit."""
    return AppError("PAYMENT_INSUFFICIENT_BALANCE", balance_fen=balance_fen, payable_fen=payable_fen)


class WalletProvider:
    name = "wallet"

    async def debit(self, connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, order_id: str,
                    reason: str = "支付订单") -> int:
        """Take `amount_fen` if the balance covers it (one conditional update: never below zero); new balance."""
        changed = await Wallet.filter(user_id=user_id, balance_fen__gte=amount_fen).using_db(connection).update(
            balance_fen=F("balance_fen") - amount_fen)
        if not changed:
            wallet = await Wallet.get_or_none(user_id=user_id).using_db(connection)
            raise insufficient_balance(wallet.balance_fen if wallet else 0, amount_fen)
        return await self._entry(connection, user_id, "payment", -amount_fen, order_id, reason)

    async def credit(self, connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, kind: str,
                     order_id: str | None = None, reason: str = "") -> int:
        """Add to the balance (a refund, say); the wallet row must exist. Returns the new balance."""
        await Wallet.filter(user_id=user_id).using_db(connection).update(balance_fen=F("balance_fen") + amount_fen)
        return await self._entry(connection, user_id, kind, amount_fen, order_id, reason)

    @staticmethod
    async def _entry(connection: BaseDBAsyncClient, user_id: str, kind: str, amount_fen: int,
                     order_id: str | None, reason: str) -> int:
        balance = (await Wallet.get(user_id=user_id).using_db(connection)).balance_fen
        await LedgerEntry.create(id=new_id("led"), user_id=user_id, kind=kind, amount_fen=amount_fen,
                                 balance_after_fen=balance, reason=reason, order_id=order_id, using_db=connection)
        return balance

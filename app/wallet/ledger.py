"""The wallet's one write path: a balance moves only here, with its ledger entry, inside the caller's transaction.

Payments (app/payments/providers/wallet.py), refunds and operators' credits all go through `debit` or `credit`.
The balance moves by one conditional update (`balance_fen >= amount` for a debit) or an atomic increment, never
read-modify-write, so concurrent movements all count and none takes it below zero.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.errors import AppError
from app.core.security import new_id
from app.wallet import sql
from app.wallet.models import LedgerEntry, Wallet

PAYMENT, REFUND, CREDIT = "payment", "refund", "credit"  # LedgerEntry.kind


def insufficient_balance(balance_fen: int, payable_fen: int) -> AppError:
    """The one answer to a balance that does not cover the order, found early (checkout) or at the debit."""
    return AppError("PAYMENT_INSUFFICIENT_BALANCE", balance_fen=balance_fen, payable_fen=payable_fen)


async def debit(connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, order_id: str,
                reason: str) -> LedgerEntry:
    """Take `amount_fen` for an order if the balance covers it, else PAYMENT_INSUFFICIENT_BALANCE."""
    balance = await sql.debit(connection, user_id, amount_fen)
    if balance is None:
        wallet = await Wallet.get_or_none(user_id=user_id).using_db(connection)
        raise insufficient_balance(wallet.balance_fen if wallet else 0, amount_fen)
    return await _entry(connection, user_id, PAYMENT, -amount_fen, balance, order_id, reason)


async def credit(connection: BaseDBAsyncClient, user_id: str, amount_fen: int, *, kind: str,
                 order_id: str | None = None, reason: str = "") -> LedgerEntry:
    """Add to the balance (a refund, an operator's credit); the wallet row must exist."""
    balance = await sql.credit(connection, user_id, amount_fen)
    if balance is None:
        raise LookupError(f"no wallet for user {user_id}")
    return await _entry(connection, user_id, kind, amount_fen, balance, order_id, reason)


async def _entry(connection: BaseDBAsyncClient, user_id: str, kind: str, amount_fen: int, balance_after_fen: int,
                 order_id: str | None, reason: str) -> LedgerEntry:
    # The balance our own movement left (its row stays locked until commit), as the update returned it.
    return await LedgerEntry.create(id=new_id("led"), user_id=user_id, kind=kind, amount_fen=amount_fen,
                                    balance_after_fen=balance_after_fen, reason=reason, order_id=order_id,
                                    using_db=connection)

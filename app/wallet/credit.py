"""Operators crediting a user's wallet: balance, ledger entry and audit entry in one transaction (DESIGN.md §6).

The balance moves through the wallet's one write path (app/wallet/ledger.py), so concurrent credits all count.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from app.auth.models import User
from app.core.errors import NotFound
from app.operators import audit
from app.core.serialize import view
from app.wallet import ledger
from app.wallet.models import Wallet
from app.wallet.schemas import CreditOut, LedgerEntryOut


async def credit(operator_id: str, user_id: str, amount_fen: int, reason: str) -> dict[str, Any]:
    if not await User.exists(id=user_id):
        raise NotFound(user_id=user_id)
    # The row first, outside the transaction: get_or_create survives a concurrent create, and a failed
    # INSERT inside a PostgreSQL transaction would abort it.
    await Wallet.get_or_create(user_id=user_id)
    async with in_transaction() as connection:
        entry = await ledger.credit(connection, user_id, amount_fen, kind=ledger.CREDIT, reason=reason)
        balance, entered = entry.balance_after_fen, view(LedgerEntryOut, entry)
        await audit.record(connection, operator_id, "wallet.credit", "wallet", user_id,
                           {"balance_fen": balance - amount_fen}, {"balance_fen": balance, "entry": entered})
    return view(CreditOut, {"user_id": user_id, "balance_fen": balance, "entry": entered})

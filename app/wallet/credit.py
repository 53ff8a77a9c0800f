"""Operators crediting a user's wallet: balance, ledger entry and audit entry in one transaction (DESIGN.md §6).

The balance moves by an atomic increment (`balance_fen + amount`), never by read-modify-write, so
concurrent credits all count.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.auth.models import User
from app.core.errors import NotFound
from app.core.security import new_id
from app.operators import audit
from app.wallet.models import LedgerEntry, Wallet

MAX_CREDIT_FEN = 1_000_000  # 10,000 yuan per credit


def entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, "amount_fen": entry.amount_fen,
            "balance_after_fen": entry.balance_after_fen, "reason": entry.reason,
            "order_id": entry.order_id, "created_at": entry.created_at}


async def credit(operator_id: str, user_id: str, amount_fen: int, reason: str) -> dict[str, Any]:
    if not await User.exists(id=user_id):
        raise NotFound(user_id=user_id)
    # The row first, outside the transaction: get_or_create survives a concurrent create, and a failed
    # INSERT inside a PostgreSQL transaction would abort it.
    await Wallet.get_or_create(user_id=user_id)
    async with in_transaction() as connection:
        await Wallet.filter(user_id=user_id).using_db(connection).update(balance_fen=F("balance_fen") + amount_fen)
        # Our update holds the row until commit, so this is the balance right after our own credit.
        balance = (await Wallet.filter(user_id=user_id).using_db(connection)
                   .values_list("balance_fen", flat=True))[0]
        entry = await LedgerEntry.create(id=new_id("led"), user_id=user_id, kind="credit", amount_fen=amount_fen,
                                         balance_after_fen=balance, reason=reason, using_db=connection)
        view = entry_view(entry)
        await audit.record(connection, operator_id, "wallet.credit", "wallet", user_id,
                           {"balance_fen": balance - amount_fen}, {"balance_fen": balance, "entry": view})
    return {"user_id": user_id, "balance_fen": balance, "entry": view}

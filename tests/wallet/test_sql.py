"""app/wallet/sql.py on the database of this run (the suite runs on SQLite and on PostgreSQL): one statement moves
a balance and answers the new one, and a debit the balance does not cover changes nothing."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.wallet import sql
from app.wallet.models import Wallet
from tests.checkout.helpers import shopper


async def test_a_debit_answers_the_new_balance_and_never_goes_below_zero(client):
    who = await shopper(client, address=None, balance_fen=1_000)
    async with in_transaction() as connection:
        assert await sql.debit(connection, who["user_id"], 400) == 600
        assert await sql.debit(connection, who["user_id"], 601) is None  # not covered: nothing taken
        assert await sql.debit(connection, who["user_id"], 600) == 0
    assert (await Wallet.get(user_id=who["user_id"])).balance_fen == 0


async def test_a_credit_answers_the_new_balance_and_a_missing_wallet_is_none(client):
    who = await shopper(client, address=None, balance_fen=1_000)
    async with in_transaction() as connection:
        assert await sql.credit(connection, who["user_id"], 250) == 1_250
        assert await sql.credit(connection, "usr_nobody", 250) is None
    assert (await Wallet.get(user_id=who["user_id"])).balance_fen == 1_250


async def test_a_rolled_back_debit_leaves_the_balance(client):
    who = await shopper(client, address=None, balance_fen=1_000)
    try:
        async with in_transaction() as connection:
            assert await sql.debit(connection, who["user_id"], 1_000) == 0
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert (await Wallet.get(user_id=who["user_id"])).balance_fen == 1_000

"""A transaction cancelled at any point leaves the database usable (app/core/sqlite_engine.py on SQLite).

Tortoise's SQLite transaction takes its lock before `BEGIN`; a cancel between the two used to keep the lock
for ever, and every later transaction waited (how a CI run hung). Here tasks are cancelled at every early
point of a transaction, and a fresh transaction must still run and commit within a few seconds.
"""

from __future__ import annotations

import asyncio

from tortoise.transactions import in_transaction

from app.catalog.models import Product
from tests.checkout.helpers import product


async def test_a_transaction_cancelled_anywhere_leaves_the_database_usable(client):
    made = await product(client, price_fen=100, stock=1000)

    async def take_one() -> None:
        async with in_transaction() as connection:
            await Product.filter(id=made["id"]).using_db(connection).update(stock=999)

    for step in range(40):
        task = asyncio.create_task(take_one())
        for _ in range(step % 10):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(take_one(), timeout=5)  # wedged, this waits for ever
    assert (await Product.get(id=made["id"])).stock == 999

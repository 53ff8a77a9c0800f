"""Stock reservation for checkout: all or nothing, never oversold under real concurrency (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from app.catalog.models import Product
from app.catalog.service import get_products, release_stock, reserve_stock
from app.core.errors import AppError
from tests.factories import make_product


async def _stock(product_id: str) -> int:
    return (await Product.get(id=product_id)).stock


async def _reserve(lines) -> bool:
    try:
        async with in_transaction() as connection:
            await reserve_stock(lines, connection)
        return True
    except AppError as exc:
        assert exc.code == "OUT_OF_STOCK"
        return False


async def test_twenty_concurrent_reservations_of_five_let_exactly_five_through(client):
    product = await make_product(client, stock=5)
    results = await asyncio.gather(*[_reserve([(product["id"], 1)]) for _ in range(20)])
    assert results.count(True) == 5
    assert await _stock(product["id"]) == 0


async def test_a_shortage_takes_nothing_and_names_every_short_product(client):
    plenty = await make_product(client, stock=10)
    short_a = await make_product(client, stock=1)
    short_b = await make_product(client, stock=0)
    with pytest.raises(AppError) as raised:
        async with in_transaction() as connection:
            await reserve_stock([(plenty["id"], 3), (short_a["id"], 2), (short_b["id"], 1)], connection)
    assert raised.value.code == "OUT_OF_STOCK"
    assert sorted(raised.value.details["products"]) == sorted([short_a["id"], short_b["id"]])
    assert [await _stock(p["id"]) for p in (plenty, short_a, short_b)] == [10, 1, 0]


async def test_nothing_is_held_even_if_the_caller_commits_after_a_shortage(client):
    plenty = await make_product(client, stock=4)
    short = await make_product(client, stock=0)
    async with in_transaction() as connection:
        with pytest.raises(AppError):
            await reserve_stock([(plenty["id"], 4), (short["id"], 1)], connection)
    assert await _stock(plenty["id"]) == 4


async def test_two_lines_of_one_product_must_fit_together(client):
    product = await make_product(client, stock=3)
    assert await _reserve([(product["id"], 2), (product["id"], 2)]) is False
    assert await _reserve([(product["id"], 2), (product["id"], 1)]) is True
    assert await _stock(product["id"]) == 0


async def test_release_gives_stock_back(client):
    product = await make_product(client, stock=2)
    assert await _reserve([(product["id"], 2)])
    await release_stock([(product["id"], 2)])
    assert await _stock(product["id"]) == 2


async def test_an_unknown_product_lacks_stock(client):
    assert await _reserve([("prd_unknown", 1)]) is False


async def test_get_products_includes_off_sale_and_skips_unknown(client):
    on = await make_product(client)
    off = await make_product(client, on_sale=False)
    found = await get_products([on["id"], off["id"], "prd_unknown"])
    assert set(found) == {on["id"], off["id"]}
    assert found[off["id"]].on_sale is False

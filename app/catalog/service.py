"""Catalog rules: products for operators and for the shop, and atomic stock reservation for checkout.

Stock never goes below zero because every decrement is a conditional update (`stock >= quantity`) whose
row count says whether it happened, the same pattern as exactly-once order transitions (STACK-NOTES).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.catalog import cache
from app.catalog.models import Product
from app.catalog.schemas import ProductIn, ProductOut, ProductPatch, PublicProductOut
from app.core.errors import AppError, NotFound
from app.core.pagination import newest_first
from app.core.security import new_id
from app.core.serialize import view
from app.operators import audit

StockLine = tuple[str, int]  # (product_id, quantity)


# Operators

async def create_product(operator_id: str, data: ProductIn) -> dict[str, Any]:
    """A new product; a SKU already taken is SKU_EXISTS, also when two requests race (unique constraint)."""
    try:
        async with in_transaction() as connection:
            product = await Product.create(id=new_id("prd"), **data.model_dump(), using_db=connection)
            created = view(ProductOut, product)
            await audit.record(connection, operator_id, "product.create", "product", product.id, None, created)
    except IntegrityError:
        raise AppError("SKU_EXISTS", sku=data.sku) from None
    await cache.changed()
    return created


async def update_product(operator_id: str, product_id: str, patch: ProductPatch) -> dict[str, Any]:
    changes = patch.model_dump(include=patch.model_fields_set)
    async with in_transaction() as connection:
        product = await Product.select_for_update().using_db(connection).get_or_none(id=product_id)
        if product is None:
            raise NotFound(product_id=product_id)
        before = view(ProductOut, product)
        if changes:
            product.update_from_dict(changes)
            await product.save(using_db=connection, update_fields=[*changes, "updated_at"])
            await audit.record(connection, operator_id, "product.update", "product", product.id, before,
                               view(ProductOut, product))
    if changes:
        await cache.changed()
    return view(ProductOut, product)


async def list_admin(limit: int, before_id: Optional[str]) -> list[dict[str, Any]]:
    """Every product, off-sale included, newest first; up to limit+1 for `app.core.http.page`."""
    page = newest_first(Product.all(), limit, before_id, id_prefix="prd")
    return [view(ProductOut, product) for product in await page]


# The shop

async def list_on_sale(limit: int, before_id: Optional[str], category: Optional[str]) -> list[dict[str, Any]]:
    query = Product.filter(on_sale=True)
    if category:
        query = query.filter(category=category)
    return [view(PublicProductOut, product) for product in await newest_first(query, limit, before_id, id_prefix="prd")]


async def get_on_sale(product_id: str) -> dict[str, Any]:
    """An off-sale product is as unknown to the shop as one that never existed."""
    product = await Product.get_or_none(id=product_id, on_sale=True)
    if product is None:
        raise NotFound(product_id=product_id)
    return view(PublicProductOut, product)


# Checkout

async def get_products(ids: Iterable[str], connection: Optional[BaseDBAsyncClient] = None) -> dict[str, Product]:
    """The products with these ids, off-sale ones included (the caller decides); unknown ids are absent."""
    wanted = set(ids)
    if not wanted:
        return {}
    query = Product.filter(id__in=wanted)
    if connection is not None:
        query = query.using_db(connection)
    return {product.id: product for product in await query}


async def sellable_products(items: Iterable[StockLine], *, catalog_token: Optional[str] = None,
                            cached: bool = False) -> tuple[dict[str, int], dict[str, Product]]:
    """A cart's quantities, one per product (in the order first named), and its products; an unknown or off-sale
    product → PRODUCT_UNAVAILABLE (with their ids). `cached`: from the checkout's cache, confirmed by the
    catalog counter's `catalog_token` (app/catalog/cache.py: read the products, never change them)."""
    quantities: dict[str, int] = {}
    for product_id, quantity in items:
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    products = await (cache.get_products(quantities, catalog_token) if cached else get_products(quantities))
    missing = [pid for pid in quantities if pid not in products or not products[pid].on_sale]
    if missing:
        raise AppError("PRODUCT_UNAVAILABLE", products=missing)
    return quantities, products


def _merge(lines: Iterable[StockLine]) -> list[StockLine]:
    """One line per product (two lines of one product must fit the stock together), in id order.

    A fixed order means two checkouts locking the same rows lock them in the same order: no deadlock.
    """
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        if quantity <= 0:
            raise ValueError(f"quantity of {product_id} must be positive")
        totals[product_id] = totals.get(product_id, 0) + quantity
    return sorted(totals.items())


async def reserve_stock(lines: Iterable[StockLine], connection: BaseDBAsyncClient) -> None:
    """Take the stock of every line, or none of it: OUT_OF_STOCK lists every product that lacked stock.

    Run it inside the checkout's transaction (`connection`). Lines that were taken before a shortage was
    found are given back on the same connection, so nothing is held even if the caller commits anyway.
    """
    taken: list[StockLine] = []
    short: list[str] = []
    for product_id, quantity in _merge(lines):
        changed = await Product.filter(id=product_id, stock__gte=quantity).using_db(connection).update(
            stock=F("stock") - quantity)
        if changed:
            taken.append((product_id, quantity))
        else:
            short.append(product_id)
    if short:
        await release_stock(taken, connection)
        raise AppError("OUT_OF_STOCK", products=short)


async def release_stock(lines: Iterable[StockLine], connection: Optional[BaseDBAsyncClient] = None) -> None:
    """Give stock back (an order closed, a failed checkout)."""
    for product_id, quantity in _merge(lines):
        query = Product.filter(id=product_id)
        if connection is not None:
            query = query.using_db(connection)
        await query.update(stock=F("stock") + quantity)

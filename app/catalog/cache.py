"""The checkout's in-process cache of products, confirmed by the catalog's counter (app/core/versioned.py).

Every operator's change to a product announces the counter after its commit. Orders taking or giving back stock
do not (they would invalidate the catalog hundreds of times a second), so a cached product's `stock` is what it
was when loaded or last changed by an operator: good enough to show, never what an order takes (reserve_stock's
conditional update decides, and a one-tap re-reads a product whose cached stock looks too low).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from app.catalog.models import Product
from app.core import versioned

COUNTER = "catalog:version"
products = versioned.VersionedCache[str, Optional[Product]]("catalog", lambda _: COUNTER)


async def get_products(ids: Iterable[str], token: Optional[str]) -> dict[str, Product]:
    """The products with these ids (unknown ids absent), from memory when loaded under `token`; the others in
    one query. The instances are shared between requests: read them, never change them."""
    found: dict[str, Product] = {}
    missing = []
    for product_id in set(ids):
        hit, product = products.peek(product_id, token)
        if not hit:
            missing.append(product_id)
        elif product is not None:
            found[product_id] = product
    if missing:
        loaded = {product.id: product for product in await Product.filter(id__in=missing)}
        for product_id in missing:
            if token is not None:
                products.put(product_id, token, loaded.get(product_id))
            if product_id in loaded:
                found[product_id] = loaded[product_id]
    return found


async def changed() -> None:
    await versioned.changed(COUNTER)

"""`seed-demo`: products over three categories and three promotions, idempotent (DESIGN.md §1)."""

from __future__ import annotations

from app.catalog.demo import PRODUCTS, PROMOTIONS, seed_demo
from app.catalog.models import Product
from app.promotions.models import Promotion


async def test_seed_demo_is_idempotent(server):
    redis = server.app.ctx.deps.redis
    await seed_demo(redis)
    assert await seed_demo(redis) == (0, 0)
    skus = [product["sku"] for product in PRODUCTS]
    assert await Product.filter(sku__in=skus).count() == len(PRODUCTS)
    assert len({product["category"] for product in PRODUCTS}) == 3
    names = [promotion["name"] for promotion in PROMOTIONS]
    assert await Promotion.filter(name__in=names).count() == len(PROMOTIONS)
    assert {p.kind for p in await Promotion.filter(name__in=names)} == {"threshold", "percent_off", "amount_off"}

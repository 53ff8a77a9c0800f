"""The demo catalog and promotions (`python -m app seed-demo`): idempotent by SKU and by promotion name."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from app.catalog import service as catalog_service
from app.catalog.models import Product
from app.catalog.schemas import ProductIn
from app.core.errors import AppError
from app.promotions import service as promotion_service
from app.promotions.models import Promotion
from app.promotions.schemas import PromotionIn

log = logging.getLogger("yijian.demo")

SEED_OPERATOR_ID = "system:seed-demo"  # who the audit log names for seeded rows

PRODUCTS = (
    {"sku": "DEMO-LATTE", "name": "拿铁", "price_fen": 2800, "stock": 500, "category": "咖啡"},
    {"sku": "DEMO-AMERICANO", "name": "美式咖啡", "price_fen": 2200, "stock": 500, "category": "咖啡"},
    {"sku": "DEMO-FLATWHITE", "name": "澳白", "price_fen": 3000, "stock": 300, "category": "咖啡"},
    {"sku": "DEMO-OOLONG-MILK", "name": "乌龙奶茶", "price_fen": 1800, "stock": 500, "category": "茶饮"},
    {"sku": "DEMO-JASMINE", "name": "茉莉花茶", "price_fen": 1500, "stock": 500, "category": "茶饮"},
    {"sku": "DEMO-MUG", "name": "一键马克杯", "price_fen": 5900, "stock": 100, "category": "周边"},
    {"sku": "DEMO-TOTE", "name": "帆布袋", "price_fen": 3900, "stock": 100, "category": "周边"},
)

PROMOTIONS = (
    {"name": "满50减10", "kind": "threshold", "threshold_fen": 5000, "amount_off_fen": 1000, "priority": 10},
    {"name": "钱包支付9折", "kind": "percent_off", "percent_off": 10, "priority": 5, "stackable": True,
     "conditions": {"payment_method": ["wallet"]}},
    {"name": "新人立减5元", "kind": "amount_off", "amount_off_fen": 500, "priority": 20, "per_user_limit": 1,
     "conditions": {"new_user_only": True}},
)


async def seed_demo(redis: Redis) -> tuple[int, int]:
    """Create what is missing; never touch what exists (an operator may have changed it). Answers (products, promotions) created."""
    products = 0
    for data in PRODUCTS:
        if await Product.exists(sku=data["sku"]):
            continue
        try:
            await catalog_service.create_product(SEED_OPERATOR_ID, ProductIn(**data))
            products += 1
        except AppError as exc:  # another seed created it meanwhile
            if exc.code != "SKU_EXISTS":
                raise
    promotions = 0
    for data in PROMOTIONS:
        if await Promotion.exists(name=data["name"]):
            continue
        await promotion_service.create_promotion(redis, SEED_OPERATOR_ID, PromotionIn(**data))
        promotions += 1
    log.info("demo seeded", extra={"fields": {"products": products, "promotions": promotions}})
    return products, promotions


async def seed_demo_once(redis: Redis) -> bool:
    """Seed only an empty catalog (what `serve` does on the embedded default)."""
    if await Product.exists():
        return False
    await seed_demo(redis)
    return True

"""Pricing in one place: cart lines + promotions + context → lines, discounts and payable, in integer fen."""

from app.pricing.domain import (
    MAX_LINES, CartLine, Discount, Offer, PricedLine, PriceResult, PricingContext, PromotionRule, SkipReason,
    Skipped,
)
from app.pricing.engine import price
from app.pricing.money import format_yuan
from app.pricing.offers import candidate_offers
from app.pricing.reasons import promotion_reason, zhe

__all__ = [
    "MAX_LINES",
    "CartLine",
    "Discount",
    "Offer",
    "PricedLine",
    "PriceResult",
    "PricingContext",
    "PromotionRule",
    "SkipReason",
    "Skipped",
    "candidate_offers",
    "format_yuan",
    "price",
    "promotion_reason",
    "zhe",
]

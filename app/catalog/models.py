"""Products: what the shop sells, at what price, and how many are left."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Product(Model):
    """Stock only moves through conditional updates (reserve_stock, release_stock) or an operator's PATCH."""

    id = fields.CharField(primary_key=True, max_length=40)
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    price_fen = fields.BigIntField()
    stock = fields.IntField(default=0)
    category = fields.CharField(max_length=64)
    on_sale = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "products"
        indexes = (("on_sale", "category", "id"),)

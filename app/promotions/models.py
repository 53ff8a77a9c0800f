"""Promotions, and the global version that tells every worker's cache when any of them changed."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Promotion(Model):
    """One offer. Amounts not used by its kind are null, conditions is a normalised JSON object."""

    id = fields.CharField(primary_key=True, max_length=40)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)
    amount_off_fen = fields.BigIntField(null=True)
    percent_off = fields.IntField(null=True)
    threshold_fen = fields.BigIntField(null=True)
    enabled = fields.BooleanField(default=True)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    priority = fields.IntField(default=0)
    stackable = fields.BooleanField(default=False)
    per_user_limit = fields.IntField(null=True)
    budget_fen = fields.BigIntField(null=True)
    budget_used_fen = fields.BigIntField(default=0)
    conditions = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "promotions"
        indexes = (("enabled", "id"),)


class CacheVersion(Model):
    """A counter per cached data set (name "promotions"), bumped in the transaction of every change."""

    name = fields.CharField(primary_key=True, max_length=32)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "cache_versions"

"""The recommendation aggregates: per user, per user × method, per user × product and × category (DESIGN.md §3).

Kept incrementally by the outbox consumers (app/recommendations/signals.py) and rebuilt by the backfill, so a
read costs the same whatever the length of the user's history.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RecoUserStat(Model):
    """One row per user, and the row every change to that user's aggregates locks first (signals.lock_user)."""

    user_id = fields.CharField(primary_key=True, max_length=40)
    paid_orders = fields.IntField(default=0)
    hour_histogram = fields.JSONField(default=list)  # 24 counts by Asia/Shanghai hour ([] before the first)
    recent_payments = fields.JSONField(default=list)  # the last 10 paid orders: paid_at, order_id, payable_fen, method
    last_paid_at = fields.DatetimeField(null=True)
    city = fields.CharField(max_length=64, null=True)  # of the latest paid order that had one
    city_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reco_user_stats"


class RecoMethodStat(Model):
    """`score` is worth `score × 0.5^((now − score_at) / 30 days)` at `now`: it decays without being rewritten."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=40)
    method = fields.CharField(max_length=16)
    paid_count = fields.IntField(default=0)
    score = fields.FloatField(default=0.0)
    score_at = fields.DatetimeField(null=True)
    last_paid_at = fields.DatetimeField(null=True)
    last_failure_code = fields.CharField(max_length=40, null=True)
    last_failure_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reco_method_stats"
        unique_together = (("user_id", "method"),)


class RecoItemStat(Model):
    """A product (`kind` "product", `key` its id) or a category (`key` its name) of a user's paid orders."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=40)
    kind = fields.CharField(max_length=8)
    key = fields.CharField(max_length=64)
    orders_count = fields.IntField(default=0)  # distinct paid orders
    quantity = fields.IntField(default=0)
    spent_fen = fields.BigIntField(default=0)
    first_bought_at = fields.DatetimeField(null=True)
    last_bought_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reco_item_stats"
        unique_together = (("user_id", "kind", "key"),)

"""Refunds of paid orders, by operators or automatic (a payment that came after the order was closed)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

PROCESSING, SUCCESS, FAILED = "PROCESSING", "SUCCESS", "FAILED"


class Refund(Model):
    """One refund. Unique per (order, Idempotency-Key), so a replayed request finds the refund it made."""

    id = fields.CharField(primary_key=True, max_length=40)
    order = fields.ForeignKeyField("models.Order", related_name="refunds", on_delete=fields.RESTRICT)
    out_refund_no = fields.CharField(max_length=64, unique=True)
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=12, db_index=True)
    reason = fields.CharField(max_length=80, default="")
    cause = fields.CharField(max_length=24)  # operator | paid_after_close
    provider = fields.CharField(max_length=16)  # wechatpay_v3 | wechatpay_v2 | wallet
    provider_refund_id = fields.CharField(max_length=64, null=True)
    created_by = fields.CharField(max_length=40, null=True)
    idempotency_key = fields.CharField(max_length=255, null=True)
    request_hash = fields.CharField(max_length=64, null=True)
    failure = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    # When a PROCESSING WeChat Pay refund is next asked about (app/refunds/jobs.py), and how often it was.
    next_query_at = fields.DatetimeField(null=True, db_index=True)
    query_attempts = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "refunds"
        unique_together = (("order_id", "idempotency_key"),)
        indexes = (("order_id", "id"), ("created_at",))  # created_at: a day's refunds (reconciliation, §8)

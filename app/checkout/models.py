"""Checkout's own table: one-tap requests by idempotency key (app/checkout/idempotency.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """A one-tap request by key. Unique per user and key, so concurrent requests make one order."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=40)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    state = fields.CharField(max_length=12)  # running | ordered | done (app/checkout/idempotency.py)
    response_status = fields.IntField(null=True)
    response_body = fields.JSONField(null=True)
    order_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_records"
        unique_together = (("user_id", "key"),)

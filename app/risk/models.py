"""Risk's table: one row per kind, subject and 10-minute window, counting what happened in it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

VELOCITY, PIN_GUESSING, NOTIFY_FORGERY = "velocity", "pin_guessing", "notify_forgery"
AMOUNT_MISMATCH, PAID_AFTER_CLOSE, REFUND_ANOMALY = "amount_mismatch", "paid_after_close", "refund_anomaly"
KINDS = (VELOCITY, PIN_GUESSING, NOTIFY_FORGERY, AMOUNT_MISMATCH, PAID_AFTER_CLOSE, REFUND_ANOMALY)


# `bucket` is the 10-minute window (epoch seconds // 600) an event opened in: its unique key with kind and subject
# is what makes a burst one row (the first occurrence creates it, the others add to `count`).
class RiskEvent(Model):

    id = fields.CharField(primary_key=True, max_length=40)
    kind = fields.CharField(max_length=24)
    subject = fields.CharField(max_length=80)  # user:<id>, order:<id> or ip:<address>
    bucket = fields.IntField()
    details = fields.JSONField()  # the first occurrence's
    at = fields.DatetimeField()  # the first occurrence
    last_at = fields.DatetimeField()
    count = fields.IntField(default=1)

    class Meta:
        table = "risk_events"
        unique_together = (("kind", "subject", "bucket"),)
        indexes = (("kind", "id"),)

"""Feedback's tables: a shopper's feedback on one of their orders, and operators' replies to it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

OPEN, RESOLVED = "open", "resolved"
STATUSES = (OPEN, RESOLVED)
PAID_NOT_UPDATED = "paid_not_updated"
CATEGORIES = ("payment_failed", PAID_NOT_UPDATED, "refund", "delivery", "other")


class Feedback(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    user_id = fields.CharField(max_length=40)
    order_id = fields.CharField(max_length=40)
    category = fields.CharField(max_length=20)
    text = fields.CharField(max_length=500)
    error_code = fields.CharField(max_length=40, null=True)  # the error the shopper met, if the client sends it
    order_status = fields.CharField(max_length=20)  # the order's status when filed (after paid_not_updated's query)
    status = fields.CharField(max_length=12, default=OPEN)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "feedback"
        indexes = (("user_id", "id"), ("status", "id"))


class FeedbackReply(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    feedback = fields.ForeignKeyField("models.Feedback", related_name="replies", on_delete=fields.CASCADE)
    operator_id = fields.CharField(max_length=40)
    text = fields.CharField(max_length=1000)
    created_at = fields.DatetimeField()

    class Meta:
        table = "feedback_replies"

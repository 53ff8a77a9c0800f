"""The notification log: every callback WeChat Pay made, with our verdict and answer (DESIGN.md §4)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class NotificationLog(Model):
    """One delivery as received (headers and raw body) and as answered, rejected ones included."""

    id = fields.CharField(primary_key=True, max_length=40)
    endpoint = fields.CharField(max_length=64)
    headers = fields.JSONField()
    body = fields.TextField()  # whole when verified; a refused delivery's first 4 KiB (app.notify.journal)
    body_size = fields.IntField(null=True)  # bytes received; null on entries older than the column
    body_truncated = fields.BooleanField(default=False, db_default=False)
    verdict = fields.CharField(max_length=64)
    event_type = fields.CharField(max_length=64, null=True)
    answer_status = fields.IntField()
    answer_body = fields.TextField()
    out_trade_no = fields.CharField(max_length=32, null=True)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_log"
        indexes = (("out_trade_no", "id"),)

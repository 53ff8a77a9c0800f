"""Tables of the job engine's own: which consumer has applied which outbox event."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AppliedEvent(Model):
    """An outbox event applied by one consumer (app/jobs/outbox.py `first_application`): at most one row each."""

    id = fields.BigIntField(primary_key=True)
    consumer = fields.CharField(max_length=40)
    event_id = fields.CharField(max_length=40)
    applied_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "applied_events"
        unique_together = (("consumer", "event_id"),)

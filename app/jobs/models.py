"""Tables of the job engine's own: the outbox, and which consumer has applied which of its events."""

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


class OutboxEvent(Model):
    """Work that follows a change, written in the change's own transaction and done later by jobs."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    payload = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    # While a worker runs the event's handler: no other may take it before this (app/jobs/outbox.py).
    claimed_until = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_events"
        indexes = (("done_at", "id"),)

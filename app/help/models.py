"""Help's table: entries per error code (a code may have several; the first is the one errors point to)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class HelpEntry(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    code = fields.CharField(max_length=40, db_index=True)
    question = fields.CharField(max_length=200)
    answer = fields.TextField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "help_entries"

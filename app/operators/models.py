"""Operator accounts and the audit log of every change they make."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Operator(Model):
    """A console account. Failed logins count inside a window, and enough of them set locked_until."""

    id = fields.CharField(primary_key=True, max_length=40)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=200)
    role = fields.CharField(max_length=16)
    failed_logins = fields.IntField(default=0)
    failed_since = fields.DatetimeField(null=True)
    # password checks running now and when the last slot taken lapses (app/core/lockout.py)
    login_checks = fields.IntField(default=0, db_default=0)
    login_checks_until = fields.DatetimeField(null=True)
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "operators"


class AuditEntry(Model):
    """One change made by an operator, written in the transaction of the change itself."""

    id = fields.CharField(primary_key=True, max_length=40)
    operator_id = fields.CharField(max_length=40)
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=64)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entries"
        indexes = (("action", "id"), ("target_id", "id"))

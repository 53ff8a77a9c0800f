"""Users (one per WeChat openid) and their login sessions (refresh-token families)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True)
    # WeChat's session_key and the bound phone number are kept only encrypted (FieldCipher).
    session_key_enc = fields.TextField()
    phone_enc = fields.TextField(null=True)
    phone_masked = fields.CharField(max_length=20, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField()

    class Meta:
        table = "users"


class LoginSession(Model):
    """One refresh-token family. Rotation keeps current_jti, and any other jti presented is a reuse."""

    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    current_jti = fields.CharField(max_length=40)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True, db_index=True)
    revoke_reason = fields.CharField(max_length=20, null=True)

    class Meta:
        table = "login_sessions"

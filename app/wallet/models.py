"""The stored-value wallet: one balance per user, its PIN state and its ledger."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Wallet(Model):
    user = fields.OneToOneField("models.User", related_name="wallet", primary_key=True, on_delete=fields.CASCADE)
    balance_fen = fields.BigIntField(default=0)
    pin_hash = fields.CharField(max_length=200, null=True)
    pin_free_limit_fen = fields.IntField(default=0)
    pin_failures = fields.IntField(default=0)
    # PIN checks running now and when the last slot taken lapses (app/core/lockout.py)
    pin_checks = fields.IntField(default=0, db_default=0)
    pin_checks_until = fields.DatetimeField(null=True)
    locked_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wallets"


class LedgerEntry(Model):
    """One movement of a wallet's balance: a credit, a payment or a refund (amount signed, in fen)."""

    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.User", related_name="ledger", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    amount_fen = fields.BigIntField()
    balance_after_fen = fields.BigIntField()
    reason = fields.CharField(max_length=200, default="")
    order_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wallet_ledger"
        indexes = (("user_id", "id"),)

"""A user's checkout preferences, saved addresses and invoice title."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Preference(Model):
    user = fields.OneToOneField("models.User", related_name="preference", primary_key=True, on_delete=fields.CASCADE)
    default_payment_method = fields.CharField(max_length=16, null=True)
    # The one default address is named here, so there can never be two.
    default_address_id = fields.CharField(max_length=40, null=True)
    one_tap_enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "preferences"


class Address(Model):
    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.User", related_name="addresses", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=32)
    province = fields.CharField(max_length=64, default="")
    city = fields.CharField(max_length=64, default="")
    district = fields.CharField(max_length=64, default="")
    detail = fields.CharField(max_length=256)
    postal_code = fields.CharField(max_length=16, default="")
    national_code = fields.CharField(max_length=16, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "addresses"
        indexes = (("user_id", "id"),)


class InvoiceTitle(Model):
    user = fields.OneToOneField("models.User", related_name="invoice", primary_key=True, on_delete=fields.CASCADE)
    type = fields.CharField(max_length=16)  # "personal" | "company", as wx.chooseInvoiceTitle's 0/1
    title = fields.CharField(max_length=128)
    tax_number = fields.CharField(max_length=32, default="")
    company_address = fields.CharField(max_length=256, default="")
    telephone = fields.CharField(max_length=32, default="")
    bank_name = fields.CharField(max_length=128, default="")
    bank_account = fields.CharField(max_length=64, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "invoice_titles"

"""Orders: snapshots, state transitions, payments, flags, promotions used, and what the mini-program reported."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

PAYING, PAID, CLOSED = "PAYING", "PAID", "CLOSED"
REFUNDING, REFUNDED, PARTIALLY_REFUNDED = "REFUNDING", "REFUNDED", "PARTIALLY_REFUNDED"
STATUSES = (PAYING, PAID, CLOSED, REFUNDING, REFUNDED, PARTIALLY_REFUNDED)


class Order(Model):
    """Lines, prices, discounts, address and invoice are snapshots taken when the order was made."""

    id = fields.CharField(primary_key=True, max_length=40)
    user = fields.ForeignKeyField("models.User", related_name="orders", on_delete=fields.RESTRICT)
    out_trade_no = fields.CharField(max_length=32, unique=True)
    status = fields.CharField(max_length=20, db_index=True)
    lines = fields.JSONField()
    items_total_fen = fields.BigIntField()
    discounts = fields.JSONField()
    discount_fen = fields.BigIntField()
    payable_fen = fields.BigIntField()
    payment_method = fields.CharField(max_length=16)
    provider = fields.CharField(max_length=16)
    # wechatpay_v3 | wechatpay_v2: the API that made the prepay, so query, close and expiry use it whatever
    # YIJIAN_WXPAY_API says later. Null for wallet orders (and for orders made before the column).
    provider_api = fields.CharField(max_length=16, null=True)
    address = fields.JSONField(null=True)
    invoice = fields.JSONField(null=True)
    prepay_id = fields.CharField(max_length=64, null=True)
    transaction_id = fields.CharField(max_length=64, null=True, unique=True)
    refunded_fen = fields.BigIntField(default=0)
    # An order whose prepay failed is closed at once and never shown to the user (DESIGN §3).
    listed = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    close_cause = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # The active query's schedule (DESIGN §4): when to ask WeChat Pay next, and how often it was asked.
    next_query_at = fields.DatetimeField(null=True, db_index=True)
    query_attempts = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "orders"
        indexes = (("user_id", "id"), ("status", "expires_at"))


class OrderTransition(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="transitions", on_delete=fields.CASCADE)
    from_status = fields.CharField(max_length=20, null=True)
    to_status = fields.CharField(max_length=20)
    cause = fields.CharField(max_length=32)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_transitions"
        indexes = (("order_id", "id"),)


class OrderPromotion(Model):
    """One promotion used by one order: per-user limits count these, budgets are charged from them."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="promotions", on_delete=fields.CASCADE)
    user_id = fields.CharField(max_length=40)
    promotion_id = fields.CharField(max_length=40)
    amount_fen = fields.BigIntField()
    # What was charged to the promotion's budget (0 when it had none): all an unpaid close gives back. Rows made
    # before this column say 0, so such an order gives nothing back: a budget is under-, never over-spent.
    budget_charged_fen = fields.BigIntField(default=0, db_default=0)

    class Meta:
        table = "order_promotions"
        indexes = (("user_id", "promotion_id"),)


class Payment(Model):
    """Money received for an order. The unique transaction_id makes a payment recorded at most once."""

    id = fields.CharField(primary_key=True, max_length=40)
    order = fields.ForeignKeyField("models.Order", related_name="payments", on_delete=fields.RESTRICT)
    transaction_id = fields.CharField(max_length=64, unique=True)
    amount_fen = fields.BigIntField()
    provider = fields.CharField(max_length=16)  # wechatpay_v3 | wechatpay_v2
    payer_openid = fields.CharField(max_length=128, null=True)
    paid_at = fields.DatetimeField(null=True)
    details = fields.JSONField()  # what WeChat Pay said (its transaction), as received
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments"
        # an order's payments (settlement, refunds, the admin detail); a day's payments (reconciliation, §8)
        indexes = (("order_id",), ("paid_at",))


class OrderFlag(Model):
    """Something operators must look at (amount_mismatch, account_mismatch, paid_after_close), once per kind."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="flags", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    detail = fields.JSONField()
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_flags"
        unique_together = (("order_id", "kind"),)


class OrderEvent(Model):
    """Something the mini-program reported about an order (DESIGN §9), kept once per (order, event)."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="events", on_delete=fields.CASCADE)
    event = fields.CharField(max_length=32)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_events"
        unique_together = (("order_id", "event"),)

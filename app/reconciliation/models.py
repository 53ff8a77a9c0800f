"""Reconciliation's tables: one run per Asia/Shanghai day (due work of the jobs) and the differences it found."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
RUN_STATUSES = (PENDING, RUNNING, DONE, FAILED)
MISSING_LOCAL, MISSING_REMOTE = "missing_local", "missing_remote"
AMOUNT_MISMATCH, REFUND_MISMATCH = "amount_mismatch", "refund_mismatch"
KINDS = (MISSING_LOCAL, MISSING_REMOTE, AMOUNT_MISMATCH, REFUND_MISMATCH)


class ReconciliationRun(Model):
    """A day's reconciliation. `next_attempt_at` is when the jobs must run it (again), and while a run is in
    progress its lease (app/jobs/leases.py); null when nothing is left to do. The figures are those of the
    last comparison that finished (`compared_at`); a later attempt that fails leaves them as they were."""

    id = fields.CharField(primary_key=True, max_length=40)
    bill_date = fields.DateField(unique=True)
    status = fields.CharField(max_length=12)
    attempts = fields.IntField(default=0)
    failures = fields.IntField(default=0)  # attempts in a row that did not finish cleanly: the backoff's index
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=200, null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    compared_at = fields.DatetimeField(null=True)
    api = fields.CharField(max_length=16, null=True)  # which WeChat Pay API served the bill
    bill_sha1 = fields.CharField(max_length=40, null=True)
    remote_payments = fields.IntField(default=0)
    remote_paid_fen = fields.BigIntField(default=0)
    remote_refunds = fields.IntField(default=0)
    remote_refunded_fen = fields.BigIntField(default=0)
    local_payments = fields.IntField(default=0)
    local_paid_fen = fields.BigIntField(default=0)
    local_refunds = fields.IntField(default=0)
    local_refunded_fen = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reconciliation_runs"


class ReconciliationDifference(Model):
    """One thing the bill and our books disagree on, with both sides as each told it. Identified within its day by
    (kind, key), key being the out_refund_no of a refund_mismatch and the out_trade_no otherwise, so a rerun that
    finds it again updates this row and keeps its id and an operator's resolution."""

    id = fields.CharField(primary_key=True, max_length=40)
    run = fields.ForeignKeyField("models.ReconciliationRun", related_name="differences", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=20)
    key = fields.CharField(max_length=64)
    out_trade_no = fields.CharField(max_length=32, null=True)
    order_id = fields.CharField(max_length=40, null=True)
    remote = fields.JSONField(null=True)  # the bill's row(s); null when the bill has none
    local = fields.JSONField(null=True)  # our order or refund; null when we have none
    settlement = fields.CharField(max_length=24, null=True)  # what settling a missing_local did (settle's result)
    found_at = fields.DatetimeField()
    seen_at = fields.DatetimeField()  # the last comparison that found it
    resolved_at = fields.DatetimeField(null=True)
    resolved_by = fields.CharField(max_length=40, null=True)  # an operator's id, or "reconciliation"
    note = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "reconciliation_differences"
        unique_together = (("run_id", "kind", "key"),)
        indexes = (("run_id", "id"),)

"""The payment statistics' own tables: one rollup row per Asia/Shanghai day, and the counters' fold schedule."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StatsDay(Model):
    """A day's figures (DESIGN §6.1), kept incrementally: `figures` maps a counter's name (`paid`,
    `wallet.failures.WALLET_PIN_WRONG`, `latency.received_to_paid.3` ...: app/stats/figures.py) to its count.
    One row per day, so a year's report reads at most 366 rows; a change locks the row (app/stats/repository.py)."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField(unique=True)
    figures = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "stats_days"


class StatsFold(Model):
    """The due work of folding the Redis counters into the rollups (app/stats/jobs.py): one row, due at
    `next_fold_at`, claimed by one worker at a time with a lease on that column (app/jobs/leases.py)."""

    id = fields.CharField(primary_key=True, max_length=40)
    next_fold_at = fields.DatetimeField(db_index=True)
    folded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stats_folds"

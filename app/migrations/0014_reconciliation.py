from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_budget_charged')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReconciliationRun',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('bill_date', fields.DateField(unique=True)),
                ('status', fields.CharField(max_length=12)),
                ('attempts', fields.IntField(default=0)),
                ('failures', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=200)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('compared_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('api', fields.CharField(null=True, max_length=16)),
                ('bill_sha1', fields.CharField(null=True, max_length=40)),
                ('remote_payments', fields.IntField(default=0)),
                ('remote_paid_fen', fields.BigIntField(default=0)),
                ('remote_refunds', fields.IntField(default=0)),
                ('remote_refunded_fen', fields.BigIntField(default=0)),
                ('local_payments', fields.IntField(default=0)),
                ('local_paid_fen', fields.BigIntField(default=0)),
                ('local_refunds', fields.IntField(default=0)),
                ('local_refunded_fen', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reconciliation_runs', 'app': 'models', 'pk_attr': 'id', 'table_description': "A day's reconciliation. `next_attempt_at` is when the jobs must run it (again), and while a run is in"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReconciliationDifference',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('run', fields.ForeignKeyField('models.ReconciliationRun', source_field='run_id', db_constraint=True, to_field='id', related_name='differences', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=20)),
                ('key', fields.CharField(max_length=64)),
                ('out_trade_no', fields.CharField(null=True, max_length=32)),
                ('order_id', fields.CharField(null=True, max_length=40)),
                ('remote', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('local', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('settlement', fields.CharField(null=True, max_length=24)),
                ('found_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.CharField(null=True, max_length=40)),
                ('note', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'reconciliation_differences', 'app': 'models', 'unique_together': (('run_id', 'kind', 'key'),), 'indexes': [Index(fields=['run_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One thing the bill and our books disagree on, with both sides as each told it. Identified within its day by'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_orders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NotificationLog',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('endpoint', fields.CharField(max_length=64)),
                ('headers', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('body', fields.TextField(unique=False)),
                ('verdict', fields.CharField(max_length=64)),
                ('event_type', fields.CharField(null=True, max_length=64)),
                ('answer_status', fields.IntField()),
                ('answer_body', fields.TextField(unique=False)),
                ('out_trade_no', fields.CharField(null=True, max_length=32)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_log', 'app': 'models', 'indexes': [Index(fields=['out_trade_no', 'id'])], 'pk_attr': 'id', 'table_description': 'One delivery as received (headers and raw body) and as answered, rejected ones included.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderFlag',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('detail', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'order_flags', 'app': 'models', 'unique_together': (('order_id', 'kind'),), 'pk_attr': 'id', 'table_description': 'Something operators must look at (amount_mismatch, account_mismatch, paid_after_close), once per kind.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
            ],
            options={'table': 'outbox_events', 'app': 'models', 'indexes': [Index(fields=['done_at', 'id'])], 'pk_attr': 'id', 'table_description': "Work that follows a change, written in the change's own transaction and done later by jobs."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('transaction_id', fields.CharField(unique=True, max_length=64)),
                ('amount_fen', fields.BigIntField()),
                ('provider', fields.CharField(max_length=16)),
                ('payer_openid', fields.CharField(null=True, max_length=128)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('details', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payments', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Money received for an order. The unique transaction_id makes a payment recorded at most once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('out_refund_no', fields.CharField(unique=True, max_length=64)),
                ('amount_fen', fields.BigIntField()),
                ('status', fields.CharField(db_index=True, max_length=12)),
                ('reason', fields.CharField(default='', max_length=80)),
                ('cause', fields.CharField(max_length=24)),
                ('provider', fields.CharField(max_length=16)),
                ('provider_refund_id', fields.CharField(null=True, max_length=64)),
                ('created_by', fields.CharField(null=True, max_length=40)),
                ('idempotency_key', fields.CharField(null=True, max_length=255)),
                ('request_hash', fields.CharField(null=True, max_length=64)),
                ('failure', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refunds', 'app': 'models', 'unique_together': (('order_id', 'idempotency_key'),), 'indexes': [Index(fields=['order_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One refund. Unique per (order, Idempotency-Key), so a replayed request finds the refund it made.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='next_query_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='query_attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
        # AddField's db_index is created by neither SQLite nor PostgreSQL here: the job engine's scan needs it.
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS idx_orders_next_query_at ON orders (next_query_at)",
            reverse_sql="DROP INDEX IF EXISTS idx_orders_next_query_at",
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_operators_catalog_promotions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(max_length=40)),
                ('key', fields.CharField(max_length=255)),
                ('request_hash', fields.CharField(max_length=64)),
                ('state', fields.CharField(max_length=12)),
                ('response_status', fields.IntField(null=True)),
                ('response_body', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('order_id', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idempotency_records', 'app': 'models', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id', 'table_description': 'A one-tap request by key. Unique per user and key, so concurrent requests make one order.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('out_trade_no', fields.CharField(unique=True, max_length=32)),
                ('status', fields.CharField(db_index=True, max_length=20)),
                ('lines', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('items_total_fen', fields.BigIntField()),
                ('discounts', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('discount_fen', fields.BigIntField()),
                ('payable_fen', fields.BigIntField()),
                ('payment_method', fields.CharField(max_length=16)),
                ('provider', fields.CharField(max_length=16)),
                ('address', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('invoice', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('prepay_id', fields.CharField(null=True, max_length=64)),
                ('transaction_id', fields.CharField(null=True, unique=True, max_length=64)),
                ('refunded_fen', fields.BigIntField(default=0)),
                ('listed', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('close_cause', fields.CharField(null=True, max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'orders', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'Lines, prices, discounts, address and invoice are snapshots taken when the order was made.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderPromotion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='promotions', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.CharField(max_length=40)),
                ('promotion_id', fields.CharField(max_length=40)),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'order_promotions', 'app': 'models', 'indexes': [Index(fields=['user_id', 'promotion_id'])], 'pk_attr': 'id', 'table_description': 'One promotion used by one order: per-user limits count these, budgets are charged from them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderTransition',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='transitions', on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharField(null=True, max_length=20)),
                ('to_status', fields.CharField(max_length=20)),
                ('cause', fields.CharField(max_length=32)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'order_transitions', 'app': 'models', 'indexes': [Index(fields=['order_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='InvoiceTitle',
            options={'table': 'invoice_titles', 'app': 'models', 'pk_attr': 'user_id'},
        ),
        ops.AlterModelOptions(
            name='Preference',
            options={'table': 'preferences', 'app': 'models', 'pk_attr': 'user_id'},
        ),
        ops.AlterModelOptions(
            name='Wallet',
            options={'table': 'wallets', 'app': 'models', 'pk_attr': 'user_id'},
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('operator_id', fields.CharField(max_length=40)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(max_length=32)),
                ('target_id', fields.CharField(max_length=64)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entries', 'app': 'models', 'indexes': [Index(fields=['action', 'id']), Index(fields=['target_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One change made by an operator, written in the transaction of the change itself.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CacheVersion',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'cache_versions', 'app': 'models', 'pk_attr': 'name', 'table_description': 'A counter per cached data set (name "promotions"), bumped in the transaction of every change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Operator',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=200)),
                ('role', fields.CharField(max_length=16)),
                ('failed_logins', fields.IntField(default=0)),
                ('failed_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'operators', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A console account. Failed logins count inside a window, and enough of them set locked_until.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('sku', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('price_fen', fields.BigIntField()),
                ('stock', fields.IntField(default=0)),
                ('category', fields.CharField(max_length=64)),
                ('on_sale', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'products', 'app': 'models', 'indexes': [Index(fields=['on_sale', 'category', 'id'])], 'pk_attr': 'id', 'table_description': "Stock only moves through conditional updates (reserve_stock, release_stock) or an operator's PATCH."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Promotion',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('amount_off_fen', fields.BigIntField(null=True)),
                ('percent_off', fields.IntField(null=True)),
                ('threshold_fen', fields.BigIntField(null=True)),
                ('enabled', fields.BooleanField(default=True)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('priority', fields.IntField(default=0)),
                ('stackable', fields.BooleanField(default=False)),
                ('per_user_limit', fields.IntField(null=True)),
                ('budget_fen', fields.BigIntField(null=True)),
                ('budget_used_fen', fields.BigIntField(default=0)),
                ('conditions', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'promotions', 'app': 'models', 'indexes': [Index(fields=['enabled', 'id'])], 'pk_attr': 'id', 'table_description': 'One offer. Amounts not used by its kind are null, conditions is a normalised JSON object.'},
            bases=['Model'],
        ),
    ]

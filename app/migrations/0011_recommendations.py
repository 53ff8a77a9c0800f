from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_notification_body_size')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecoItemStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(max_length=40)),
                ('kind', fields.CharField(max_length=8)),
                ('key', fields.CharField(max_length=64)),
                ('orders_count', fields.IntField(default=0)),
                ('quantity', fields.IntField(default=0)),
                ('spent_fen', fields.BigIntField(default=0)),
                ('first_bought_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_bought_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reco_item_stats', 'app': 'models', 'unique_together': (('user_id', 'kind', 'key'),), 'pk_attr': 'id', 'table_description': 'A product (`kind` "product", `key` its id) or a category (`key` its name) of a user\'s paid orders.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoMethodStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(max_length=40)),
                ('method', fields.CharField(max_length=16)),
                ('paid_count', fields.IntField(default=0)),
                ('score', fields.FloatField(default=0.0)),
                ('score_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_failure_code', fields.CharField(null=True, max_length=40)),
                ('last_failure_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reco_method_stats', 'app': 'models', 'unique_together': (('user_id', 'method'),), 'pk_attr': 'id', 'table_description': '`score` is worth `score × 0.5^((now − score_at) / 30 days)` at `now`: it decays without being rewritten.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoUserStat',
            fields=[
                ('user_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('paid_orders', fields.IntField(default=0)),
                ('hour_histogram', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('recent_payments', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('last_paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('city', fields.CharField(null=True, max_length=64)),
                ('city_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reco_user_stats', 'app': 'models', 'pk_attr': 'user_id', 'table_description': "One row per user, and the row every change to that user's aggregates locks first (signals.lock_user)."},
            bases=['Model'],
        ),
    ]

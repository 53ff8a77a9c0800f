from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_reconciliation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatsDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(unique=True)),
                ('figures', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'stats_days', 'app': 'models', 'pk_attr': 'id', 'table_description': "A day's figures (DESIGN §6.1), kept incrementally: `figures` maps a counter's name (`paid`,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatsFold',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('next_fold_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('folded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stats_folds', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The due work of folding the Redis counters into the rollups (app/stats/jobs.py): one row, due at'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_payment_lifecycle')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Refund',
            name='next_query_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Refund',
            name='query_attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]

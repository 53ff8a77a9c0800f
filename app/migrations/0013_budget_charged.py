from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_order_events')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OrderPromotion',
            name='budget_charged_fen',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]

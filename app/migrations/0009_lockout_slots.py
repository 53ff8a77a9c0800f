from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_applied_events')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Operator',
            name='login_checks',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Operator',
            name='login_checks_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Wallet',
            name='pin_checks',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Wallet',
            name='pin_checks_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

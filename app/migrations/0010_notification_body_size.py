from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_lockout_slots')]

    initial = False

    operations = [
        ops.AddField(
            model_name='NotificationLog',
            name='body_size',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='NotificationLog',
            name='body_truncated',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]

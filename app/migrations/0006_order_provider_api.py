from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_refund_queries')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='provider_api',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]

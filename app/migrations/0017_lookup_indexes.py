from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_aftersales')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['order_id']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['paid_at']),
        ),
        ops.AddIndex(
            model_name='Refund',
            index=Index(fields=['created_at']),
        ),
    ]

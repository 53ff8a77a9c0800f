from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_outbox_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppliedEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consumer', fields.CharField(max_length=40)),
                ('event_id', fields.CharField(max_length=40)),
                ('applied_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'applied_events', 'app': 'models', 'unique_together': (('consumer', 'event_id'),), 'pk_attr': 'id', 'table_description': 'An outbox event applied by one consumer (app/jobs/outbox.py `first_application`): at most one row each.'},
            bases=['Model'],
        ),
    ]

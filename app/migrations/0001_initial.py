from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('openid', fields.CharField(unique=True, max_length=64)),
                ('unionid', fields.CharField(null=True, max_length=64)),
                ('session_key_enc', fields.TextField(unique=False)),
                ('phone_enc', fields.TextField(null=True, unique=False)),
                ('phone_masked', fields.CharField(null=True, max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_login_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Address',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('phone', fields.CharField(max_length=32)),
                ('province', fields.CharField(default='', max_length=64)),
                ('city', fields.CharField(default='', max_length=64)),
                ('district', fields.CharField(default='', max_length=64)),
                ('detail', fields.CharField(max_length=256)),
                ('postal_code', fields.CharField(default='', max_length=16)),
                ('national_code', fields.CharField(default='', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'addresses', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceTitle',
            fields=[
                ('user', fields.OneToOneField('models.User', source_field='user_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='invoice', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharField(max_length=16)),
                ('title', fields.CharField(max_length=128)),
                ('tax_number', fields.CharField(default='', max_length=32)),
                ('company_address', fields.CharField(default='', max_length=256)),
                ('telephone', fields.CharField(default='', max_length=32)),
                ('bank_name', fields.CharField(default='', max_length=128)),
                ('bank_account', fields.CharField(default='', max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'invoice_titles', 'app': 'models', 'pk_attr': 'user_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('balance_after_fen', fields.BigIntField()),
                ('reason', fields.CharField(default='', max_length=200)),
                ('order_id', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wallet_ledger', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': "One movement of a wallet's balance: a credit, a payment or a refund (amount signed, in fen)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('current_jti', fields.CharField(max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(null=True, max_length=20)),
            ],
            options={'table': 'login_sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One refresh-token family. Rotation keeps current_jti, and any other jti presented is a reuse.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Preference',
            fields=[
                ('user', fields.OneToOneField('models.User', source_field='user_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='preference', on_delete=OnDelete.CASCADE)),
                ('default_payment_method', fields.CharField(null=True, max_length=16)),
                ('default_address_id', fields.CharField(null=True, max_length=40)),
                ('one_tap_enabled', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'preferences', 'app': 'models', 'pk_attr': 'user_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Wallet',
            fields=[
                ('user', fields.OneToOneField('models.User', source_field='user_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='wallet', on_delete=OnDelete.CASCADE)),
                ('balance_fen', fields.BigIntField(default=0)),
                ('pin_hash', fields.CharField(null=True, max_length=200)),
                ('pin_free_limit_fen', fields.IntField(default=0)),
                ('pin_failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'wallets', 'app': 'models', 'pk_attr': 'user_id'},
            bases=['Model'],
        ),
    ]

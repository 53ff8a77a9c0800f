from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# DESIGN §7: a help entry for every error code a shopper can meet (what happened, what to do). The codes only
# operators meet (NOT_READY, OPERATOR_LOGIN_FAILED, OPERATOR_LOCKED, SKU_EXISTS, ORDER_NOT_REFUNDABLE,
# REFUND_EXCEEDS_PAID, DIFFERENCE_ALREADY_RESOLVED) have none: tests/help/test_help.py lists why.
# Written here, not imported, so the migration keeps meaning what it meant when it ran. Operators edit them later.
HELP_SEED = [
    ("MALFORMED_JSON", "提示“请求格式错误”怎么办？", "小程序发出的数据没能被识别，通常是网络传输中断或小程序版本过旧。请关闭小程序后重新打开再试；仍不行请更新微信到最新版本。"),
    ("BAD_REQUEST", "提示“请求无效”怎么办？", "这次操作的请求不完整。请返回上一页重新操作；如果反复出现，请删除小程序后重新进入，或联系客服并告知提示中的请求编号。"),
    ("VALIDATION_FAILED", "提示“填写的信息有误”怎么办？", "有内容没有填写或格式不对（例如手机号、数量、密码位数）。请按页面上标红的提示逐项修改后再提交。"),
    ("NOT_FOUND", "提示“内容不存在”是什么意思？", "您要查看的商品、订单或页面已不存在，或不属于当前登录的微信账号。请返回上一页刷新；若是订单，请确认是用下单时的微信账号登录。"),
    ("METHOD_NOT_ALLOWED", "提示“不支持该操作”怎么办？", "当前小程序版本不支持这个操作。请在微信中删除小程序后重新打开，以更新到最新版本。"),
    ("PAYLOAD_TOO_LARGE", "提示“提交的内容过大”怎么办？", "一次提交的内容太多（例如反馈文字过长）。请精简内容后重新提交。"),
    ("RATE_LIMITED", "提示“操作太频繁”怎么办？", "为保护您的账户安全，短时间内下单或提交反馈的次数有限制。请按提示等待片刻（一般不超过1分钟，反馈为1小时）后再试；已提交的订单不会重复扣款。"),
    ("INTERNAL_ERROR", "提示“系统开小差了”怎么办？", "服务器出现临时故障。请稍后重试；如果已经付款，款项不会丢失，订单会自动更新。仍有问题请联系客服，并提供提示中的请求编号。"),
    ("AUTH_CODE_INVALID", "提示“登录已失效”怎么办？", "微信登录凭证已过期（每个凭证只能用一次且5分钟内有效）。请完全关闭小程序后重新打开，系统会自动重新登录。"),
    ("PHONE_CODE_INVALID", "提示“手机号授权已失效”怎么办？", "手机号授权凭证已过期或已被使用。请重新点击“授权手机号”按钮并在微信弹窗中确认。"),
    ("AUTH_TOKEN_MISSING", "提示“请先登录”怎么办？", "当前没有登录状态。请关闭小程序后重新打开，登录完成后再继续操作。"),
    ("AUTH_TOKEN_INVALID", "提示“登录状态无效”怎么办？", "登录状态无法识别，可能是在其他设备上登录或小程序数据被清理。请重新打开小程序登录。"),
    ("AUTH_TOKEN_EXPIRED", "提示“登录已过期”怎么办？", "登录状态超过有效期。小程序通常会自动刷新；如仍提示，请关闭小程序后重新打开。"),
    ("AUTH_REFRESH_REUSED", "为什么被“安全退出”了？", "系统发现您的登录凭证被重复使用，可能有他人获取了您的登录信息，为保护账户已退出所有登录。请重新登录；如非本人操作，建议尽快修改支付密码。"),
    ("FORBIDDEN", "提示“没有权限执行该操作”怎么办？", "当前账号无权进行这个操作。请确认使用的是正确的账号；如有疑问请联系客服。"),
    ("WECHAT_UNAVAILABLE", "提示“微信服务繁忙”怎么办？", "微信服务器暂时没有响应，与您的账户无关。请等待几秒后重试。"),
    ("PAYMENT_PROVIDER_UNAVAILABLE", "提示“支付服务繁忙”怎么办？", "微信支付暂时没有响应，这次没有扣款。请稍后重试，或改用余额支付。如果您已看到扣款，订单会在几分钟内自动更新，也可以在订单页提交“我付了钱但订单没变”。"),
    ("IDEMPOTENCY_KEY_REQUIRED", "提示“请求缺少幂等键”怎么办？", "小程序版本过旧，下单请求缺少防重复标识。请删除小程序后重新打开以更新版本。"),
    ("IDEMPOTENCY_KEY_REUSED", "提示“重复的请求标识”怎么办？", "同一次下单请求的内容被改动过。请返回购物车刷新页面后重新下单，不会重复扣款。"),
    ("IDEMPOTENCY_KEY_IN_USE", "提示“订单正在处理中”怎么办？", "您刚才的下单请求还在处理，请不要重复点击。等待几秒后在“我的订单”中查看结果。"),
    ("PRICE_CHANGED", "提示“价格有变动”是什么意思？", "从您看到价格到下单之间，商品价格或优惠发生了变化。页面会显示最新价格，确认后再次下单即可；这次没有扣款。"),
    ("OUT_OF_STOCK", "提示“商品库存不足”怎么办？", "您选择的数量超过了现有库存。请减少数量，或选择其他商品；这次没有扣款。"),
    ("PRODUCT_UNAVAILABLE", "提示“商品已下架或不存在”怎么办？", "购物车中有商品已下架。请移除提示中的商品后重新下单。"),
    ("ADDRESS_REQUIRED", "提示“请选择收货地址”怎么办？", "下单需要收货地址。请在“我的-收货地址”中添加地址并设为默认，或在下单页选择一个地址。"),
    ("ONE_TAP_DISABLED", "提示“您已关闭一键支付”怎么办？", "您在设置中关闭了一键支付。请到“我的-设置”中重新开启，或使用普通下单流程。"),
    ("PAYMENT_METHOD_UNAVAILABLE", "提示“该支付方式暂不可用”怎么办？", "这笔订单不支持所选支付方式（例如余额支付未开通）。请换用微信支付或其他可用方式。"),
    ("PAYMENT_INSUFFICIENT_BALANCE", "提示“余额不足”怎么办？", "钱包余额低于本单应付金额，这次没有扣款。请改用微信支付，或充值后再下单。"),
    ("WALLET_PIN_NOT_SET", "提示“尚未设置支付密码”怎么办？", "使用余额支付前需要先设置6位支付密码。请先绑定手机号，再到“我的-钱包”中设置支付密码。"),
    ("WALLET_PIN_REQUIRED", "为什么要输入支付密码？", "本单金额超过了您设置的免密额度，需要输入6位支付密码确认。您可以在“我的-钱包”中调整免密额度。"),
    ("WALLET_PIN_WRONG", "提示“支付密码错误”怎么办？", "输入的支付密码不正确，提示中会显示剩余可尝试次数。连续输错5次钱包将锁定15分钟。忘记密码请联系客服。"),
    ("WALLET_PIN_LOCKED", "钱包被锁定了怎么办？", "支付密码连续输错5次，为防止他人盗刷，钱包已锁定15分钟，到时自动解锁。期间可以改用微信支付。如果不是您本人操作，请联系客服。"),
    ("ORDER_NOT_CANCELLABLE", "为什么订单不能取消？", "只有未支付的订单可以取消。已支付的订单请在订单页提交退款反馈，客服会为您处理。"),
    ("PHONE_REQUIRED", "为什么要先绑定手机号？", "为保障资金安全，设置支付密码或提高免密额度前需要绑定手机号，以便在异常时联系您。请在“我的-手机号”中授权绑定后再设置。"),
]


def _quote(text):
    return "'" + text.replace("'", "''") + "'"


SEED_AT = "2026-12-01 00:00:00+00:00"


class Migration(migrations.Migration):
    dependencies = [('models', '0015_stats')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Feedback',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('user_id', fields.CharField(max_length=40)),
                ('order_id', fields.CharField(max_length=40)),
                ('category', fields.CharField(max_length=20)),
                ('text', fields.CharField(max_length=500)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('order_status', fields.CharField(max_length=20)),
                ('status', fields.CharField(default='open', max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feedback', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['status', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedbackReply',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('feedback', fields.ForeignKeyField('models.Feedback', source_field='feedback_id', db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('operator_id', fields.CharField(max_length=40)),
                ('text', fields.CharField(max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feedback_replies', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HelpEntry',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('code', fields.CharField(db_index=True, max_length=40)),
                ('question', fields.CharField(max_length=200)),
                ('answer', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'help_entries', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskEvent',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('kind', fields.CharField(max_length=24)),
                ('subject', fields.CharField(max_length=80)),
                ('bucket', fields.IntField()),
                ('details', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('count', fields.IntField(default=1)),
            ],
            options={'table': 'risk_events', 'app': 'models', 'unique_together': (('kind', 'subject', 'bucket'),), 'indexes': [Index(fields=['kind', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [f"INSERT INTO help_entries (id, code, question, answer, created_at, updated_at) VALUES "
             f"({_quote('hlp_' + code.lower())}, {_quote(code)}, {_quote(question)}, {_quote(answer)}, "
             f"{_quote(SEED_AT)}, {_quote(SEED_AT)})" for code, question, answer in HELP_SEED],
            reverse_sql="DELETE FROM help_entries WHERE id IN ("
                        + ", ".join(_quote("hlp_" + code.lower()) for code, _, _ in HELP_SEED) + ")",
        ),
    ]

"""WeChat Pay's trade bill (交易账单) of one Asia/Shanghai day, written from the ledger; when a bill is out; downloads."""

from __future__ import annotations

import calendar
import csv
import io
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from .formats import CHINA_TZ
from .ledger import PAID_STATES, Ledger, Order, Refund

BILL_TYPES = ("ALL", "SUCCESS", "REFUND")
PUBLISH_DELAY_S = 10 * 3600  # a day's bill is out at 10:00 the next day: 10 h after the day ends, ÷ time factor
RETENTION_MONTHS = 3
DOWNLOAD_TTL_S = 300  # WeChat: "该地址5min内有效"
FEE_RATE = Decimal("0.006")  # the mini-program rate; WeChat rounds each fee to the fen
FEE_RATE_TEXT = "0.60%"

# The columns as WeChat publishes them (交易账单详细说明; README.md quotes the source). Values are written
# by name, so a column WeChat adds later is one entry here.
_HEAD = ("交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
         "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额")
_REFUND = ("微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态")
_TAIL = ("商品名称", "商户数据包", "手续费", "费率", "订单金额")
FULL_SUMMARY = ("总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额")
LAYOUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ALL": (_HEAD + _REFUND + _TAIL + ("申请退款金额", "费率备注"), FULL_SUMMARY),
    "SUCCESS": (_HEAD + _TAIL + ("费率备注",), ("总交易单数", "应结订单总金额", "手续费总金额", "订单总金额")),
    "REFUND": (_HEAD + ("退款申请时间", "退款成功时间") + _REFUND + _TAIL + ("申请退款金额", "费率备注"), FULL_SUMMARY),
}


def yuan(fen: int, places: int = 2) -> str:
    """Fen as WeChat writes yuan: "9.90", "-0.01"; fees carry five places ("0.06000")."""
    return str((Decimal(fen) / 100).quantize(Decimal(1).scaleb(-places)))


def fee_fen(amount: int) -> int:
    return int((Decimal(amount) * FEE_RATE).quantize(Decimal(1), ROUND_HALF_UP))


def bill_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def day_bounds(day: date) -> tuple[float, float]:
    """The Asia/Shanghai day as real epoch seconds [start, end)."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).timestamp()
    return start, start + 86400  # China keeps no summer time


def china_today(now: float) -> date:
    return datetime.fromtimestamp(now, CHINA_TZ).date()


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def availability(day: date, now: float, time_factor: float) -> str:
    """`out_of_range` (future, or older than three months), `creating` (not out yet), `available`.

    Today's bill is available so far (unlike WeChat, for rehearsals); an earlier day's at the day's end
    plus 10 h ÷ time_factor, which is 10:00 Asia/Shanghai the next day when the factor is 1.
    """
    today = china_today(now)
    if day > today or day < _months_before(today, RETENTION_MONTHS):
        return "out_of_range"
    if day < today and now < day_bounds(day)[1] + PUBLISH_DELAY_S / time_factor:
        return "creating"
    return "available"


@dataclass(frozen=True)
class _Line:
    """One detail row: its values by column name, and its amounts (fen) for the summary."""

    at: float
    values: dict[str, str]
    settlement: int = 0
    refund: int = 0
    fee: int = 0
    total: int = 0
    refund_requested: int = 0


def _order_values(order: Order) -> dict[str, str]:
    return {
        "公众账号ID": order.appid, "商户号": order.mchid, "特约商户号": "0", "设备号": "",
        "微信订单号": order.transaction_id or "", "商户订单号": order.out_trade_no, "用户标识": order.openid,
        "交易类型": "JSAPI", "付款银行": "OTHERS", "货币种类": order.currency, "代金券金额": "0.00",
        "充值券退款金额": "0.00", "商品名称": order.description, "商户数据包": order.attach,
        "费率": FEE_RATE_TEXT, "费率备注": "",
    }


def _payment_line(order: Order) -> _Line:
    fee = fee_fen(order.total)
    values = _order_values(order) | {
        "交易时间": bill_time(order.success_time), "交易状态": "SUCCESS", "应结订单金额": yuan(order.total),
        "微信退款单号": "0", "商户退款单号": "0", "退款金额": "0.00", "退款类型": "", "退款状态": "",
        "手续费": yuan(fee, 5), "订单金额": yuan(order.total), "申请退款金额": "0.00",
    }
    return _Line(order.success_time, values, settlement=order.total, fee=fee, total=order.total)


def _refund_line(refund: Refund, bill_type: str) -> _Line:
    """A refund is billed on the day WeChat accepted it (发起退款成功时间, "not the time it succeeded"), as
    its own row; in a REFUND bill 交易时间 is the payment's time and the refund's times have columns."""
    order, fee = refund.order, -fee_fen(refund.refund)
    values = _order_values(order) | {
        "交易时间": bill_time(order.success_time if bill_type == "REFUND" else refund.created_at),
        "交易状态": "REFUND", "应结订单金额": "0.00",
        "退款申请时间": bill_time(refund.created_at),
        "退款成功时间": bill_time(refund.success_time) if refund.success_time else "",
        "微信退款单号": refund.refund_id, "商户退款单号": refund.out_refund_no, "退款金额": yuan(refund.refund),
        "退款类型": "ORIGINAL", "退款状态": refund.status, "手续费": yuan(fee, 5), "订单金额": "0.00",
        "申请退款金额": yuan(refund.refund),
    }
    return _Line(refund.created_at, values, refund=refund.refund, fee=fee, refund_requested=refund.refund)


def _summary(lines: list[_Line]) -> dict[str, str]:
    def total(field: str) -> int:
        return sum(getattr(line, field) for line in lines)

    return {
        "总交易单数": str(len(lines)), "应结订单总金额": yuan(total("settlement")), "退款总金额": yuan(total("refund")),
        "充值券退款总金额": "0.00", "手续费总金额": yuan(total("fee"), 5), "订单总金额": yuan(total("total")),
        "申请退款总金额": yuan(total("refund_requested")),
    }


def trade_bill(ledger: Ledger, day: date, bill_type: str) -> bytes | None:
    """The bill as WeChat writes it (UTF-8), or None when the day has nothing of that type."""
    start, end = day_bounds(day)
    lines: list[_Line] = []
    if bill_type in ("ALL", "SUCCESS"):
        lines += [_payment_line(order) for order in ledger.orders.values()
                  if order.trade_state in PAID_STATES and order.success_time and start <= order.success_time < end]
    if bill_type in ("ALL", "REFUND"):
        lines += [_refund_line(refund, bill_type) for refund in ledger.refunds.values()
                  if start <= refund.created_at < end]
    if not lines:
        return None
    lines.sort(key=lambda line: line.at)
    columns, summary_columns = LAYOUTS[bill_type]
    summary = _summary(lines)
    out = io.StringIO()
    # csv quotes a value only when it holds a comma, a quote or a line break (README.md: Trade bill).
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["`" + line.values[column] for column in columns] for line in lines)
    writer.writerow(summary_columns)
    writer.writerow("`" + summary[column] for column in summary_columns)
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class BillFile:
    content: bytes  # the bill itself; its SHA1 is what tradebill answers
    gzip: bool
    expires_at: float


class BillDownloads:
    """download_url tokens: each names one bill file as it was when applied for, for five minutes."""

    def __init__(self) -> None:
        self._files: dict[str, BillFile] = {}

    def issue(self, content: bytes, gzip: bool) -> str:
        now = time.time()
        self._files = {token: file for token, file in self._files.items() if file.expires_at > now}
        token = secrets.token_urlsafe(48)
        self._files[token] = BillFile(content, gzip, now + DOWNLOAD_TTL_S)
        return token

    def get(self, token: str) -> BillFile | None:
        file = self._files.get(token)
        return file if file is not None and file.expires_at > time.time() else None

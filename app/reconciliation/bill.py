"""WeChat Pay's trade bill (交易账单, ALL/SUCCESS/REFUND) read into typed rows: a pure parser, no I/O."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

CHINA_TZ = timezone(timedelta(hours=8))  # the bill's times are Beijing time
SUMMARY_FIRST_COLUMN = "总交易单数"
NO_REFUND = ("", "0")  # 微信退款单号 of a payment row

# Older bills name some columns differently (WeChat renamed them in 2018); each maps to today's name.
ALIASES = {
    "总金额": "应结订单金额", "企业红包金额": "代金券金额", "代金券或立减优惠金额": "代金券金额",
    "企业红包退款金额": "充值券退款金额", "代金券或立减优惠退款金额": "充值券退款金额", "子商户号": "特约商户号",
    "总交易额": "应结订单总金额", "总退款金额": "退款总金额", "总企业红包退款金额": "充值券退款总金额",
    "总代金券或立减优惠退款金额": "充值券退款总金额",
}
REQUIRED_COLUMNS = ("交易时间", "微信订单号", "商户订单号", "交易状态", "应结订单金额")
YUAN = re.compile(r"[+-]?\d+(\.\d{1,2})?")


class BillFormatError(ValueError):
    """The text is not a trade bill this parser can trust: refuse it rather than guess."""


@dataclass(frozen=True)
class BillRow:
    """One detail row. Amounts are integer fen; the fee keeps WeChat's five decimals as Decimal yuan."""

    trade_time: datetime  # aware UTC: a payment's success time, or when WeChat accepted a refund
    appid: str
    mchid: str
    sub_mchid: str
    device_info: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    trade_state: str  # SUCCESS for a payment, REFUND for a refund (REVOKED for a revoked payment)
    bank_type: str
    currency: str
    settlement_total_fen: int  # 应结订单金额 (0 on a refund row)
    coupon_fen: int
    refund_id: str | None  # 微信退款单号; None on a payment row
    out_refund_no: str | None
    refund_fen: int  # 退款金额
    recharge_coupon_refund_fen: int
    refund_type: str
    refund_status: str
    description: str
    attach: str
    fee_yuan: Decimal
    fee_rate: str
    total_fen: int  # 订单金额 (0 on a refund row)
    refund_requested_fen: int  # 申请退款金额
    fee_rate_note: str
    refund_requested_at: datetime | None = None  # REFUND bills only
    refund_succeeded_at: datetime | None = None

    @property
    def is_refund(self) -> bool:
        return self.refund_id is not None


@dataclass(frozen=True)
class BillSummary:
    """The summary row; a column the bill type does not carry is None."""

    count: int
    settlement_total_fen: int
    refund_fen: int | None
    recharge_coupon_refund_fen: int | None
    fee_yuan: Decimal
    total_fen: int | None
    refund_requested_fen: int | None


@dataclass(frozen=True)
class TradeBill:
    bill_type: str  # ALL, SUCCESS or REFUND, told by the header
    rows: tuple[BillRow, ...]
    summary: BillSummary

    @property
    def payments(self) -> tuple[BillRow, ...]:
        return tuple(row for row in self.rows if not row.is_refund)

    @property
    def refunds(self) -> tuple[BillRow, ...]:
        return tuple(row for row in self.rows if row.is_refund)


def yuan_to_fen(text: str) -> int:
    """"9.90" → 990 exactly; more than two decimals, or anything but a plain number, is refused."""
    if not YUAN.fullmatch(text):
        raise BillFormatError(f"not an amount in yuan with at most two decimals: {text!r}")
    return int(Decimal(text).scaleb(2))


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text or "0")
    except InvalidOperation:
        raise BillFormatError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise BillFormatError(f"not a number: {text!r}")
    return value


def _time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ).astimezone(timezone.utc)
    except ValueError:
        raise BillFormatError(f"not a time (yyyy-MM-dd HH:mm:ss): {text!r}") from None


def _cell(text: str) -> str:
    """WeChat prefixes each value with a backtick so that spreadsheets keep long numbers as text."""
    return (text[1:] if text.startswith("`") else text).strip()


class _Fields:
    """One row's values by (canonical) column name."""

    def __init__(self, header: list[str], values: list[str], line: int) -> None:
        if len(values) != len(header):
            raise BillFormatError(f"line {line}: {len(values)} values under {len(header)} columns")
        self.values = dict(zip(header, (_cell(value) for value in values)))

    def text(self, name: str) -> str:
        return self.values.get(name, "")

    def fen(self, name: str) -> int:
        return yuan_to_fen(self.values.get(name) or "0")

    def fen_or_none(self, name: str) -> int | None:
        return yuan_to_fen(self.values[name] or "0") if name in self.values else None


def _header(cells: list[str]) -> list[str]:
    names = [_cell(cell).lstrip("\ufeff") for cell in cells]
    return [ALIASES.get(name, name) for name in names]


def _row(fields: _Fields) -> BillRow:
    refund_id = fields.text("微信退款单号")
    refund_id = None if refund_id in NO_REFUND else refund_id
    requested_at, succeeded_at = fields.text("退款申请时间"), fields.text("退款成功时间")
    return BillRow(
        trade_time=_time(fields.text("交易时间")), appid=fields.text("公众账号ID"), mchid=fields.text("商户号"),
        sub_mchid=fields.text("特约商户号"), device_info=fields.text("设备号"),
        transaction_id=fields.text("微信订单号"), out_trade_no=fields.text("商户订单号"),
        openid=fields.text("用户标识"), trade_type=fields.text("交易类型"), trade_state=fields.text("交易状态"),
        bank_type=fields.text("付款银行"), currency=fields.text("货币种类"),
        settlement_total_fen=fields.fen("应结订单金额"), coupon_fen=fields.fen("代金券金额"),
        refund_id=refund_id, out_refund_no=fields.text("商户退款单号") if refund_id else None,
        refund_fen=fields.fen("退款金额"), recharge_coupon_refund_fen=fields.fen("充值券退款金额"),
        refund_type=fields.text("退款类型"), refund_status=fields.text("退款状态"),
        description=fields.text("商品名称"), attach=fields.text("商户数据包"),
        fee_yuan=_decimal(fields.text("手续费")), fee_rate=fields.text("费率"), total_fen=fields.fen("订单金额"),
        refund_requested_fen=fields.fen("申请退款金额"), fee_rate_note=fields.text("费率备注"),
        refund_requested_at=_time(requested_at) if requested_at else None,
        refund_succeeded_at=_time(succeeded_at) if succeeded_at else None,
    )


def _summary(fields: _Fields) -> BillSummary:
    count = _decimal(fields.text(SUMMARY_FIRST_COLUMN))
    if count != count.to_integral_value() or count < 0:
        raise BillFormatError(f"总交易单数 is not a count: {fields.text(SUMMARY_FIRST_COLUMN)!r}")
    if "应结订单总金额" not in fields.values:
        raise BillFormatError("the summary has no 应结订单总金额")
    return BillSummary(
        count=int(count), settlement_total_fen=fields.fen("应结订单总金额"),
        refund_fen=fields.fen_or_none("退款总金额"), recharge_coupon_refund_fen=fields.fen_or_none("充值券退款总金额"),
        fee_yuan=_decimal(fields.text("手续费总金额")), total_fen=fields.fen_or_none("订单总金额"),
        refund_requested_fen=fields.fen_or_none("申请退款总金额"),
    )


def _check_totals(rows: list[BillRow], summary: BillSummary) -> None:
    """A bill whose rows do not add up to its own summary is cut short or corrupt."""
    if summary.count != len(rows):
        raise BillFormatError(f"the summary counts {summary.count} rows, the bill has {len(rows)}")
    sums = {
        "应结订单总金额": (summary.settlement_total_fen, sum(row.settlement_total_fen for row in rows)),
        "退款总金额": (summary.refund_fen, sum(row.refund_fen for row in rows)),
        "订单总金额": (summary.total_fen, sum(row.total_fen for row in rows)),
        "申请退款总金额": (summary.refund_requested_fen, sum(row.refund_requested_fen for row in rows)),
    }
    for name, (stated, added) in sums.items():
        if stated is not None and stated != added:
            raise BillFormatError(f"{name} is {stated} fen, its rows add up to {added}")


def parse_trade_bill(data: bytes | str) -> TradeBill:
    """Parse a downloaded (already decompressed) trade bill; columns are found by name, not position."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    lines = [(number, cells) for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), 1)
             if any(cell.strip() for cell in cells)]
    if not lines:
        raise BillFormatError("the bill is empty")
    header = _header(lines[0][1])
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise BillFormatError(f"not a trade bill: no column {', '.join(missing)}")
    starts = [index for index, (_, cells) in enumerate(lines) if _cell(cells[0]) == SUMMARY_FIRST_COLUMN]
    if len(starts) != 1 or starts[0] != len(lines) - 2:
        raise BillFormatError("the bill does not end with one summary header and one summary row")
    rows = [_row(_Fields(header, cells, number)) for number, cells in lines[1:starts[0]]]
    summary_number, summary_cells = lines[-1]
    summary = _summary(_Fields(_header(lines[-2][1]), summary_cells, summary_number))
    _check_totals(rows, summary)
    bill_type = "REFUND" if "退款申请时间" in header else "ALL" if "微信退款单号" in header else "SUCCESS"
    return TradeBill(bill_type=bill_type, rows=tuple(rows), summary=summary)

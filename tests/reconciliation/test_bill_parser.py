"""The BFF's trade-bill parser against the sandbox's bills, checked by a second, plain reading of WeChat's layout."""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from app.reconciliation.bill import BillFormatError, parse_trade_bill, yuan_to_fen

# The layout as WeChat Pay publishes it (商户平台文档 "交易账单详细说明"): header row, detail rows whose every
# value starts with a backtick, summary header, summary row. Column positions below are counted from it.
LAYOUT = {
    "ALL": ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
            "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
            "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"),
    "SUCCESS": ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                "货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注",
                "总交易单数,应结订单总金额,手续费总金额,订单总金额"),
    "REFUND": ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
               "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
               "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"),
}
# Positions in the ALL and REFUND layouts (SUCCESS has no refund columns).
TIME, TRANSACTION_ID, OUT_TRADE_NO, STATE, SETTLEMENT = 0, 5, 6, 9, 12
ALL_REFUND_ID, ALL_OUT_REFUND_NO, ALL_REFUND, ALL_TOTAL, ALL_REQUESTED, ALL_DESCRIPTION = 14, 15, 16, 24, 25, 20
SUCCESS_DESCRIPTION, SUCCESS_TOTAL = 14, 18
REFUND_REFUND_ID, REFUND_OUT_REFUND_NO, REFUND_REFUND, REFUND_DESCRIPTION, REFUND_TOTAL, REFUND_REQUESTED = (
    16, 17, 18, 22, 26, 27)


def plain_fen(value: str) -> int:
    """The second reading's yuan → fen: split on the point, no Decimal."""
    negative, value = value.startswith("-"), value.lstrip("-")
    whole, _, cents = value.partition(".")
    fen = int(whole) * 100 + int((cents + "00")[:2])
    return -fen if negative else fen


def plain_reading(content: bytes, bill_type: str) -> tuple[list[dict], list[str]]:
    """Plain csv by position, from the layout above; each row as a small dict of what reconciliation uses."""
    lines = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    header, summary_header = LAYOUT[bill_type]
    assert lines[0] == header.split(",") and lines[-2] == summary_header.split(",")
    rows = []
    for line in lines[1:-2]:
        value = [cell[1:] for cell in line]
        row = {"time": value[TIME], "transaction_id": value[TRANSACTION_ID], "out_trade_no": value[OUT_TRADE_NO],
               "state": value[STATE], "settlement": plain_fen(value[SETTLEMENT])}
        if bill_type == "SUCCESS":
            row |= {"refund_id": None, "out_refund_no": None, "refund": 0, "requested": 0,
                    "total": plain_fen(value[SUCCESS_TOTAL]), "description": value[SUCCESS_DESCRIPTION]}
        elif bill_type == "ALL":
            refund_id = value[ALL_REFUND_ID] if value[ALL_REFUND_ID] != "0" else None
            row |= {"refund_id": refund_id, "out_refund_no": value[ALL_OUT_REFUND_NO] if refund_id else None,
                    "refund": plain_fen(value[ALL_REFUND]), "requested": plain_fen(value[ALL_REQUESTED]),
                    "total": plain_fen(value[ALL_TOTAL]), "description": value[ALL_DESCRIPTION]}
        else:
            row |= {"refund_id": value[REFUND_REFUND_ID], "out_refund_no": value[REFUND_OUT_REFUND_NO],
                    "refund": plain_fen(value[REFUND_REFUND]), "requested": plain_fen(value[REFUND_REQUESTED]),
                    "total": plain_fen(value[REFUND_TOTAL]), "description": value[REFUND_DESCRIPTION]}
        rows.append(row)
    return rows, [cell[1:] for cell in lines[-1]]


async def _download(billing, bill_date: str, bill_type: str) -> bytes:
    """Through the unmodified SDK, gzip as it asks by default; the hash checked as the BFF must."""
    code, text = await billing.wxpay.trade_bill(bill_date=bill_date, bill_type=bill_type)
    assert code == 200, text
    applied = json.loads(text)
    code, content = await billing.wxpay.download_bill(applied["download_url"])
    bill = gzip.decompress(content)
    assert hashlib.sha1(bill).hexdigest() == applied["hash_value"]
    return bill


def _as_plain(row) -> dict:
    """The parser's row in the shape of the plain reading."""
    china = row.trade_time.astimezone(timezone(timedelta(hours=8)))
    return {"time": china.strftime("%Y-%m-%d %H:%M:%S"), "transaction_id": row.transaction_id,
            "out_trade_no": row.out_trade_no, "state": row.trade_state, "settlement": row.settlement_total_fen,
            "refund_id": row.refund_id, "out_refund_no": row.out_refund_no, "refund": row.refund_fen,
            "requested": row.refund_requested_fen, "total": row.total_fen, "description": row.description}


@pytest.mark.parametrize("bill_type", ["ALL", "SUCCESS", "REFUND"])
async def test_sandbox_bill_reads_the_same_by_the_parser_and_by_plain_csv(billing, day, bill_type):
    content = await _download(billing, day.day.isoformat(), bill_type)
    parsed = parse_trade_bill(content)
    plain_rows, plain_summary = plain_reading(content, bill_type)
    assert parsed.bill_type == bill_type
    assert [_as_plain(row) for row in parsed.rows] == plain_rows
    assert str(parsed.summary.count) == plain_summary[0] and parsed.summary.settlement_total_fen == plain_fen(
        plain_summary[1])
    paid = [(p.out_trade_no, p.transaction_id, p.total, p.description) for p in day.payments]
    refunded = [(r.out_refund_no, r.refund_id, r.out_trade_no, r.refund) for r in day.refunds]
    if bill_type != "REFUND":
        assert [(row.out_trade_no, row.transaction_id, row.total_fen, row.description)
                for row in parsed.payments] == paid
        assert all(row.settlement_total_fen == row.total_fen and row.trade_state == "SUCCESS" for row in parsed.payments)
    if bill_type != "SUCCESS":
        assert [(row.out_refund_no, row.refund_id, row.out_trade_no, row.refund_fen)
                for row in parsed.refunds] == refunded
        assert all(row.trade_state == "REFUND" and row.refund_status == "SUCCESS" for row in parsed.refunds)
    assert parsed.summary.count == len(parsed.rows)
    assert parsed.summary.settlement_total_fen == (0 if bill_type == "REFUND" else sum(p.total for p in day.payments))
    if bill_type == "SUCCESS":
        assert parsed.summary.refund_fen is None and parsed.summary.fee_yuan == Decimal("74.14")
    else:
        assert parsed.summary.refund_fen == parsed.summary.refund_requested_fen == sum(r.refund for r in day.refunds)
    today = datetime.combine(day.day, datetime.min.time(), timezone(timedelta(hours=8)))
    assert all(today <= row.trade_time < today + timedelta(days=1) for row in parsed.rows if bill_type != "REFUND")


async def test_columns_are_found_by_name_whatever_their_order(billing, day):
    content = await _download(billing, day.day.isoformat(), "ALL")
    lines = list(csv.reader(io.StringIO(content.decode(), newline="")))
    order = list(reversed(range(len(lines[0]))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[line[i] for i in order] for line in lines[:-2]] + lines[-2:])
    assert parse_trade_bill("\ufeff" + out.getvalue()) == parse_trade_bill(content)


def test_yuan_becomes_fen_exactly_or_is_refused():
    assert [yuan_to_fen(text) for text in ("0.01", "0.1", "9.90", "12345.67", "45", "-0.03", "0.00")] == [
        1, 10, 990, 1234567, 4500, -3, 0]
    assert yuan_to_fen("0.29") == 29  # float(0.29) * 100 is 28.999999999999996
    for text in ("1.005", "1e2", "", "abc", "NaN", "1,000.00", "¥1.00"):
        with pytest.raises(BillFormatError):
            yuan_to_fen(text)


HEADER = LAYOUT["ALL"][0]
PAYMENT = ("`2026-03-14 10:00:00,`wx1,`1900000001,`0,`,`4200000001,`T1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`9.90,`0.00,"
           "`0,`0,`0.00,`0.00,`,`,`咖啡,`,`0.06000,`0.60%,`9.90,`0.00,`")
REFUND = ("`2026-03-14 11:00:00,`wx1,`1900000001,`0,`,`4200000001,`T1,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,"
          "`5030000001,`R1,`3.00,`0.00,`ORIGINAL,`SUCCESS,`咖啡,`,`-0.02000,`0.60%,`0.00,`3.00,`")
SUMMARY = LAYOUT["ALL"][1] + "\n`2,`9.90,`3.00,`0.00,`0.04000,`9.90,`3.00\n"


def test_a_hand_written_bill_reads_as_wechat_describes_it():
    bill = parse_trade_bill("\n".join([HEADER, PAYMENT, REFUND, SUMMARY]))
    payment, refund = bill.rows
    assert (payment.is_refund, payment.refund_id, payment.total_fen, payment.fee_yuan) == (
        False, None, 990, Decimal("0.06"))
    assert payment.trade_time == datetime(2026, 3, 14, 2, 0, tzinfo=timezone.utc)
    assert (refund.is_refund, refund.refund_id, refund.out_refund_no, refund.refund_fen, refund.total_fen) == (
        True, "5030000001", "R1", 300, 0)
    assert bill.payments == (payment,) and bill.refunds == (refund,)


@pytest.mark.parametrize("broken", [
    "\n".join([HEADER, PAYMENT, SUMMARY]),  # a row lost: 2 counted, 1 there
    "\n".join([HEADER, PAYMENT, REFUND.replace("`3.00,`0.00,`ORIGINAL", "`2.00,`0.00,`ORIGINAL"), SUMMARY]),
    "\n".join([HEADER, PAYMENT, REFUND]),  # cut before the summary
    "\n".join([HEADER, PAYMENT.replace("`9.90,`0.00,`0,", "`9.905,`0.00,`0,"), REFUND, SUMMARY]),
    "\n".join([HEADER, PAYMENT + ",`extra", REFUND, SUMMARY]),
    "\n".join([HEADER.replace("商户订单号", "订单号"), PAYMENT, REFUND, SUMMARY]),
    "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg></xml>",
    "",
])
def test_a_bill_that_is_cut_short_does_not_add_up_or_is_not_a_bill_is_refused(broken):
    with pytest.raises(BillFormatError):
        parse_trade_bill(broken)


def test_older_column_names_and_the_longer_success_summary_are_read():
    """WeChat renamed 总金额 → 应结订单金额 (and others) in 2018, and SDK samples of SUCCESS bills carry
    the seven-column summary where the description lists four: read both rather than refuse a real bill."""
    old = HEADER.replace("应结订单金额", "总金额").replace("特约商户号", "子商户号")
    bill = parse_trade_bill("\r\n".join([old, PAYMENT, REFUND, SUMMARY.replace("应结订单总金额", "总交易额")]))
    assert bill.rows[0].settlement_total_fen == 990 and bill.summary.settlement_total_fen == 990
    success_header = LAYOUT["SUCCESS"][0]
    row = "`2026-03-14 10:00:00,`wx1,`1900000001,`0,`,`4200000001,`T1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`9.90,`0.00," \
          "`咖啡,`,`0.06000,`0.60%,`9.90,`"
    longer = parse_trade_bill("\n".join([success_header, row, LAYOUT["ALL"][1],
                                         "`1,`9.90,`0.00,`0.00,`0.06000,`9.90,`0.00"]))
    shorter = parse_trade_bill("\n".join([success_header, row, LAYOUT["SUCCESS"][1], "`1.0,`9.90,`0.06000,`9.90"]))
    assert longer.rows == shorter.rows and longer.bill_type == shorter.bill_type == "SUCCESS"
    assert (shorter.summary.count, shorter.summary.refund_fen, longer.summary.refund_fen) == (1, None, 0)


def _imports(package: Path, pattern: str = "*.py") -> set[str]:
    names: set[str] = set()
    for source in package.glob(pattern):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module or "")
    return names


def test_the_sandbox_and_the_parser_share_no_code():
    """Written apart, so that the sandbox's bill passing the parser means something."""
    app = Path(__file__).resolve().parents[2] / "app"
    assert not {name for name in _imports(app / "sandbox") if name.split(".")[0] == "app"}
    assert not {name for name in _imports(app / "reconciliation", "bill.py") if name.split(".")[0] == "app"}

"""The comparison itself (a pure function): each kind of difference from hand-written bills in WeChat's layout."""

from __future__ import annotations

from datetime import datetime, timezone

from app.reconciliation.bill import parse_trade_bill
from app.reconciliation.compare import Books, LocalPayment, LocalRefund, compare
from tests.reconciliation.test_bill_parser import LAYOUT

HEADER, SUMMARY_HEADER = LAYOUT["ALL"]
COLUMNS = HEADER.split(",")
AT = datetime(2026, 3, 14, 2, 0, tzinfo=timezone.utc)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _row(out_trade_no: str, transaction_id: str, total: int = 0, refund: tuple[str, str, int] | None = None) -> dict:
    values = dict.fromkeys(COLUMNS, "")
    values.update({"交易时间": "2026-03-14 10:00:00", "商户号": "1900000001", "微信订单号": transaction_id,
                   "商户订单号": out_trade_no, "交易状态": "SUCCESS", "应结订单金额": _yuan(total), "代金券金额": "0.00",
                   "微信退款单号": "0", "商户退款单号": "0", "退款金额": "0.00", "充值券退款金额": "0.00",
                   "手续费": "0.00000", "订单金额": _yuan(total), "申请退款金额": "0.00"})
    if refund:
        refund_id, out_refund_no, amount = refund
        values.update({"交易状态": "REFUND", "微信退款单号": refund_id, "商户退款单号": out_refund_no,
                       "退款金额": _yuan(amount), "申请退款金额": _yuan(amount), "退款状态": "SUCCESS"})
    return values


def _bill(*rows: dict):
    lines = [HEADER] + [",".join("`" + row[name] for name in COLUMNS) for row in rows]

    def total(name: str) -> str:
        return _yuan(sum(round(float(row[name]) * 100) for row in rows))

    summary = [str(len(rows)), total("应结订单金额"), total("退款金额"), "0.00", "0.00000", total("订单金额"),
               total("申请退款金额")]
    return parse_trade_bill("\n".join(lines + [SUMMARY_HEADER, ",".join("`" + v for v in summary)]) + "\n").rows


def _paid(out_trade_no: str, transaction_id: str | None, amount: int, status: str = "PAID",
          payment: int | None = None) -> LocalPayment:
    paid = transaction_id is not None
    return LocalPayment(f"ord_{out_trade_no}", out_trade_no, status, transaction_id, amount,
                        (amount if payment is None else payment) if paid else None, AT if paid else None)


def _refund(out_refund_no: str, out_trade_no: str, amount: int, status: str = "SUCCESS") -> LocalRefund:
    return LocalRefund(f"rfd_{out_refund_no}", out_refund_no, out_trade_no, f"ord_{out_trade_no}", amount, status,
                       "50" + out_refund_no, AT)


def _kinds(result) -> list[tuple[str, str]]:
    return [(found.kind, found.key) for found in result.differences]


def test_a_day_that_agrees_has_no_difference_and_equal_totals():
    rows = _bill(_row("T1", "42001", 990), _row("T2", "42002", 500), _row("T1", "42001", refund=("501", "R1", 300)))
    books = Books([_paid("T1", "42001", 990, "PARTIALLY_REFUNDED"), _paid("T2", "42002", 500)],
                  [_refund("R1", "T1", 300)])
    result = compare(rows, books)
    assert result.differences == [] and result.remote == result.local
    assert (result.remote.payments, result.remote.paid_fen, result.remote.refunds, result.remote.refunded_fen) == (
        2, 1490, 1, 300)


def test_paid_at_wechat_but_not_here_is_missing_local_whatever_we_know_of_the_order():
    rows = _bill(_row("T1", "42001", 990), _row("T2", "42002", 500), _row("T3", "42003", 700))
    books = Books([], [], other_payments={"T1": _paid("T1", None, 990, "CLOSED"),
                                          "T2": _paid("T2", "42999", 500, "PAID")})  # another transaction here
    result = compare(rows, books)
    assert _kinds(result) == [("missing_local", "T1"), ("missing_local", "T2"), ("missing_local", "T3")]
    closed, other, unknown = result.differences
    assert closed.local["status"] == "CLOSED" and closed.remote == {
        "out_trade_no": "T1", "transaction_id": "42001", "amount_fen": 990, "trade_state": "SUCCESS",
        "paid_at": "2026-03-14T02:00:00Z", "rows": 1}
    assert other.local["transaction_id"] == "42999" and (unknown.local, unknown.order_id) == (None, None)


def test_paid_here_but_not_in_the_bill_is_missing_remote():
    result = compare(_bill(_row("T1", "42001", 990)), Books([_paid("T1", "42001", 990), _paid("T9", "42009", 100)], []))
    assert _kinds(result) == [("missing_remote", "T9")]
    assert result.differences[0].remote is None and result.differences[0].local["payable_fen"] == 100
    assert (result.local.payments, result.local.paid_fen, result.remote.payments) == (2, 1090, 1)


def test_an_amount_unlike_the_bill_on_the_order_or_its_payment_is_amount_mismatch():
    rows = _bill(_row("T1", "42001", 990), _row("T2", "42002", 500))
    books = Books([_paid("T1", "42001", 1090, payment=990), _paid("T2", "42002", 500, payment=501)], [])
    assert _kinds(compare(rows, books)) == [("amount_mismatch", "T1"), ("amount_mismatch", "T2")]


def test_a_payment_billed_twice_adds_up_to_an_amount_mismatch_instead_of_vanishing():
    rows = _bill(_row("T1", "42001", 990), _row("T1", "42001", 990))
    [found] = compare(rows, Books([_paid("T1", "42001", 990)], [])).differences
    assert (found.kind, found.remote["amount_fen"], found.remote["rows"]) == ("amount_mismatch", 1980, 2)


def test_refunds_that_differ_either_way_are_refund_mismatch():
    rows = _bill(_row("T1", "42001", 990), _row("T1", "42001", refund=("501", "R1", 300)),
                 _row("T1", "42001", refund=("502", "R2", 100)), _row("T1", "42001", refund=("503", "R3", 50)))
    books = Books([_paid("T1", "42001", 990)], [_refund("R1", "T1", 200), _refund("R4", "T1", 70)],
                  other_refunds={"R2": _refund("R2", "T1", 100, "FAILED")})
    result = compare(rows, books)
    assert _kinds(result) == [("refund_mismatch", "R1"), ("refund_mismatch", "R2"), ("refund_mismatch", "R3"),
                              ("refund_mismatch", "R4")]
    amount, failed_here, unknown_here, not_billed = result.differences
    assert (amount.remote["amount_fen"], amount.local["amount_fen"]) == (300, 200)
    assert failed_here.local["status"] == "FAILED" and unknown_here.local is None and not_billed.remote is None
    assert all(found.out_trade_no == "T1" for found in result.differences)
    assert (result.remote.refunds, result.remote.refunded_fen, result.local.refunds, result.local.refunded_fen) == (
        3, 450, 2, 270)

"""APIv3 refunds: PROCESSING, then SUCCESS with a REFUND.SUCCESS notification; limits and lookups."""

from __future__ import annotations

import json
import secrets

from .conftest import create_prepay


async def _paid_order(client, wxpay, receiver, out_trade_no: str, total: int) -> str:
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, total=total, notify_key="refund_pay")
    answer = await client.post("/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
    return answer.json()["transaction_id"]


async def test_refund_succeeds_later_and_is_notified(client, wxpay, receiver, out_trade_no):
    transaction_id = await _paid_order(client, wxpay, receiver, out_trade_no, 1000)
    key = secrets.token_hex(4)
    code, text = await wxpay.refund(out_refund_no="R" + out_trade_no, out_trade_no=out_trade_no,
                                    amount={"refund": 300, "total": 1000, "currency": "CNY"},
                                    reason="不想要了", notify_url=receiver.url(key))
    assert code == 200, text
    refund = json.loads(text)
    assert {"refund_id", "out_refund_no", "transaction_id", "out_trade_no", "channel", "status",
            "create_time", "amount"} <= set(refund)
    assert (refund["status"], refund["out_refund_no"], refund["transaction_id"], refund["out_trade_no"]) == (
        "PROCESSING", "R" + out_trade_no, transaction_id, out_trade_no)
    assert refund["channel"] == "ORIGINAL"
    assert (refund["amount"]["refund"], refund["amount"]["total"], refund["amount"]["currency"]) == (300, 1000, "CNY")

    [received] = await receiver.wait_for(key, 1)
    notification = wxpay.callback(received["headers"], received["body"])
    assert notification["event_type"] == "REFUND.SUCCESS" and notification["summary"] == "退款成功"
    assert json.loads(received["body"])["resource"]["original_type"] == "refund"
    resource = notification["resource"]
    assert (resource["refund_status"], resource["refund_id"], resource["out_trade_no"]) == (
        "SUCCESS", refund["refund_id"], out_trade_no)
    assert resource["amount"] == {"total": 1000, "refund": 300, "payer_total": 1000, "payer_refund": 300}

    code, text = await wxpay.query_refund(out_refund_no="R" + out_trade_no)
    queried = json.loads(text)
    assert code == 200 and queried["status"] == "SUCCESS" and queried["success_time"].endswith("+08:00")
    code, text = await wxpay.query(out_trade_no=out_trade_no)
    assert json.loads(text)["trade_state"] == "REFUND"


async def test_refund_cannot_exceed_what_is_left(client, wxpay, receiver, out_trade_no):
    transaction_id = await _paid_order(client, wxpay, receiver, out_trade_no, 1000)
    amount = {"refund": 600, "total": 1000, "currency": "CNY"}
    first = await wxpay.refund(out_refund_no="A" + out_trade_no, out_trade_no=out_trade_no, amount=amount)
    assert first[0] == 200
    too_much = await wxpay.refund(out_refund_no="B" + out_trade_no, transaction_id=transaction_id, amount=amount)
    assert too_much[0] == 400 and json.loads(too_much[1])["code"] == "NOT_ENOUGH"
    rest = await wxpay.refund(out_refund_no="C" + out_trade_no, transaction_id=transaction_id,
                              amount={**amount, "refund": 400})
    assert rest[0] == 200 and json.loads(rest[1])["transaction_id"] == transaction_id
    retry = await wxpay.refund(out_refund_no="A" + out_trade_no, out_trade_no=out_trade_no, amount=amount)
    assert retry[0] == 200 and json.loads(retry[1])["refund_id"] == json.loads(first[1])["refund_id"]
    reused = await wxpay.refund(out_refund_no="A" + out_trade_no, out_trade_no=out_trade_no,
                                amount={**amount, "refund": 1})
    assert reused[0] == 400 and json.loads(reused[1])["code"] == "INVALID_REQUEST"


async def test_refund_of_unpaid_or_unknown_orders(wxpay, receiver, out_trade_no):
    await create_prepay(wxpay, receiver, out_trade_no, total=100)
    amount = {"refund": 100, "total": 100, "currency": "CNY"}
    unpaid = await wxpay.refund(out_refund_no="U" + out_trade_no, out_trade_no=out_trade_no, amount=amount)
    assert unpaid[0] == 400 and json.loads(unpaid[1])["code"] == "INVALID_REQUEST"
    unknown = await wxpay.refund(out_refund_no="X" + out_trade_no, out_trade_no="T_nobody_01", amount=amount)
    assert unknown[0] == 404 and json.loads(unknown[1])["code"] == "RESOURCE_NOT_EXISTS"
    missing = await wxpay.query_refund(out_refund_no="R_nobody")
    assert missing[0] == 404 and json.loads(missing[1])["code"] == "RESOURCE_NOT_EXISTS"

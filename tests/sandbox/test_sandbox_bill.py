"""The trade bill: APIv3 tradebill + download (through an unmodified wechatpayv3), APIv2 downloadbill, layout, faults."""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
import json
from datetime import date, datetime, timedelta

import pytest
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from app.sandbox import bills
from app.sandbox.ledger import Ledger

from .bill_traffic import CHINA, BillSandbox, DayTraffic, drive_day, start_bill_sandbox
from .conftest import authorization, v3_call, verify_answer

# WeChat's published layout (交易账单详细说明, see app/sandbox/README.md), written down here once more.
ALL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
              "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
              "手续费,费率,订单金额,申请退款金额,费率备注").split(",")
SUCCESS_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                  "货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注").split(",")
REFUND_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
                 "应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,"
                 "退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注").split(",")
FULL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额".split(",")
SUCCESS_SUMMARY = "总交易单数,应结订单总金额,手续费总金额,订单总金额".split(",")


@pytest.fixture(scope="module")
async def billing(sandbox_data_dir):
    running = await start_bill_sandbox(sandbox_data_dir, "bill_sandbox")
    yield running
    await running.stop()


@pytest.fixture(scope="module")
async def day(billing) -> DayTraffic:
    return await drive_day(billing)


@pytest.fixture(autouse=True)
async def no_bill_faults_left(billing):
    yield
    await billing.http.delete("/control/faults")


def _split(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def _apply(billing: BillSandbox, bill_date: str, bill_type: str = "ALL", tar: str = "") -> dict:
    url = f"/v3/bill/tradebill?bill_date={bill_date}&bill_type={bill_type}" + (f"&tar_type={tar}" if tar else "")
    answer = await v3_call(billing.http, billing.keys, "GET", url)
    assert answer.status_code == 200, answer.text
    assert verify_answer(billing.keys, answer)
    return answer.json()


async def _download(billing: BillSandbox, download_url: str) -> bytes:
    assert download_url.startswith(billing.base + "/v3/billdownload/file?token=")
    answer = await v3_call(billing.http, billing.keys, "GET", download_url[len(billing.base):])
    assert answer.status_code == 200
    assert "Wechatpay-Signature" not in answer.headers  # WeChat does not sign the file: the hash vouches for it
    return answer.content


async def _bill(billing: BillSandbox, day: DayTraffic, bill_type: str) -> list[list[str]]:
    applied = await _apply(billing, day.day.isoformat(), bill_type)
    content = await _download(billing, applied["download_url"])
    assert hashlib.sha1(content).hexdigest() == applied["hash_value"]
    return _split(content)


async def test_unmodified_sdk_applies_downloads_gzip_and_the_sha1_matches(billing, day):
    code, text = await billing.wxpay.trade_bill(bill_date=day.day.isoformat())  # ALL, GZIP: the SDK's defaults
    assert code == 200, text
    applied = json.loads(text)
    assert set(applied) == {"hash_type", "hash_value", "download_url"} and applied["hash_type"] == "SHA1"
    assert applied["download_url"].endswith("&tartype=gzip")
    code, content = await billing.wxpay.download_bill(applied["download_url"])
    assert code == 200 and content[:2] == b"\x1f\x8b"
    bill = gzip.decompress(content)
    assert hashlib.sha1(bill).hexdigest() == applied["hash_value"]
    plain = await _apply(billing, day.day.isoformat())
    assert plain["hash_value"] == applied["hash_value"]  # the hash is of the bill itself, not of the gzip
    assert await _download(billing, plain["download_url"]) == bill


async def test_all_bill_is_wechats_layout_with_a_row_per_payment_and_per_refund(billing, day):
    lines = await _bill(billing, day, "ALL")
    assert lines[0] == ALL_HEADER and lines[-2] == FULL_SUMMARY
    details, summary = lines[1:-2], lines[-1]
    assert all(value.startswith("`") for line in details + [summary] for value in line)
    assert all(len(line) == len(ALL_HEADER) for line in details)
    rows = [dict(zip(ALL_HEADER, (value[1:] for value in line))) for line in details]
    payments = [row for row in rows if row["交易状态"] == "SUCCESS"]
    refunds = [row for row in rows if row["交易状态"] == "REFUND"]
    assert {row["商户订单号"] for row in rows}.isdisjoint(day.not_paid)
    assert [(p["商户订单号"], p["微信订单号"], p["应结订单金额"], p["订单金额"], p["商品名称"], p["用户标识"])
            for p in payments] == [(p.out_trade_no, p.transaction_id, _yuan(p.total), _yuan(p.total), p.description,
                                    p.openid) for p in day.payments]
    for row in payments:
        assert (row["微信退款单号"], row["商户退款单号"], row["退款金额"], row["申请退款金额"], row["退款类型"],
                row["退款状态"]) == ("0", "0", "0.00", "0.00", "", "")
        assert (row["特约商户号"], row["交易类型"], row["货币种类"], row["代金券金额"], row["费率"]) == (
            "0", "JSAPI", "CNY", "0.00", "0.60%")
        assert datetime.strptime(row["交易时间"], "%Y-%m-%d %H:%M:%S").date() == day.day
    by_trade = {p.out_trade_no: p for p in day.payments}
    assert [(r["商户退款单号"], r["微信退款单号"], r["商户订单号"], r["退款金额"], r["申请退款金额"]) for r in refunds] == [
        (r.out_refund_no, r.refund_id, r.out_trade_no, _yuan(r.refund), _yuan(r.refund)) for r in day.refunds]
    for row in refunds:
        assert (row["应结订单金额"], row["订单金额"], row["退款类型"], row["退款状态"]) == ("0.00", "0.00", "ORIGINAL", "SUCCESS")
        assert row["微信订单号"] == by_trade[row["商户订单号"]].transaction_id
    # 0.60% of each payment, rounded to the fen, written with five decimals; refunds give theirs back.
    assert [row["手续费"] for row in rows] == ["0.06000", "0.00000", "74.07000", "0.01000", "-0.02000", "-0.01000"]
    paid, refunded = sum(p.total for p in day.payments), sum(r.refund for r in day.refunds)
    assert dict(zip(FULL_SUMMARY, (value[1:] for value in summary))) == {
        "总交易单数": "6", "应结订单总金额": _yuan(paid), "退款总金额": _yuan(refunded), "充值券退款总金额": "0.00",
        "手续费总金额": "74.11000", "订单总金额": _yuan(paid), "申请退款总金额": _yuan(refunded)}


async def test_a_value_with_a_comma_is_quoted_so_a_csv_reader_reads_it_back(billing, day):
    applied = await _apply(billing, day.day.isoformat(), "SUCCESS")
    raw = (await _download(billing, applied["download_url"])).decode()
    assert '"`礼盒, 含""引号"""' in raw
    assert '`一键咖啡,`bill-test,' in raw  # everything else is written bare, as WeChat does


async def test_success_and_refund_bills_have_their_own_columns_and_summaries(billing, day):
    success = await _bill(billing, day, "SUCCESS")
    assert success[0] == SUCCESS_HEADER and success[-2] == SUCCESS_SUMMARY
    assert [line[SUCCESS_HEADER.index("商户订单号")][1:] for line in success[1:-2]] == [
        p.out_trade_no for p in day.payments]
    assert [value[1:] for value in success[-1]] == [
        "4", _yuan(sum(p.total for p in day.payments)), "74.14000", _yuan(sum(p.total for p in day.payments))]

    refund = await _bill(billing, day, "REFUND")
    assert refund[0] == REFUND_HEADER and refund[-2] == FULL_SUMMARY
    rows = [dict(zip(REFUND_HEADER, (value[1:] for value in line))) for line in refund[1:-2]]
    assert [row["商户退款单号"] for row in rows] == [r.out_refund_no for r in day.refunds]
    for row in rows:
        assert row["交易状态"] == "REFUND" and row["退款状态"] == "SUCCESS"
        assert row["交易时间"] <= row["退款申请时间"] <= row["退款成功时间"]  # 交易时间 is the payment's here
    assert [value[1:] for value in refund[-1]] == ["2", "0.00", "4.00", "0.00", "-0.03000", "0.00", "4.00"]


async def test_bill_calls_are_signed_like_every_apiv3_call(billing, day):
    url = f"/v3/bill/tradebill?bill_date={day.day.isoformat()}"
    unsigned = await billing.http.get(url)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"
    applied = await _apply(billing, day.day.isoformat())
    path = applied["download_url"][len(billing.base):]
    signed_for_another_url = authorization(billing.keys, "GET", url, "")
    refused = await billing.http.get(path, headers={"Authorization": signed_for_another_url})
    assert refused.status_code == 401 and refused.json()["code"] == "SIGN_ERROR" and verify_answer(billing.keys, refused)
    unknown = await v3_call(billing.http, billing.keys, "GET", "/v3/billdownload/file?token=nosuchtoken")
    assert unknown.status_code == 400 and unknown.json()["code"] == "INVALID_REQUEST"
    assert verify_answer(billing.keys, unknown)


@pytest.mark.parametrize("query, code", [
    ("bill_date=2026-13-01", "PARAM_ERROR"),
    ("bill_date=20261201", "PARAM_ERROR"),
    ("bill_type=ALL", "PARAM_ERROR"),
    ("bill_date={today}&bill_type=RECHARGE_REFUND", "PARAM_ERROR"),
    ("bill_date={today}&tar_type=ZIP", "PARAM_ERROR"),
    ("bill_date={tomorrow}", "INVALID_REQUEST"),
    ("bill_date={four_months_ago}", "INVALID_REQUEST"),
    ("bill_date={two_months_ago}", "NO_STATEMENT_EXIST"),
    ("bill_date={yesterday}", "NO_STATEMENT_EXIST"),
])
async def test_tradebill_refusals_are_wechats(billing, day, query, code):
    today = day.day
    dates = {"today": today, "tomorrow": today + timedelta(days=1), "yesterday": today - timedelta(days=1),
             "four_months_ago": today - timedelta(days=125), "two_months_ago": today - timedelta(days=60)}
    answer = await v3_call(billing.http, billing.keys, "GET", "/v3/bill/tradebill?" + query.format(**dates))
    assert answer.status_code == 400 and answer.json()["code"] == code, answer.text
    assert verify_answer(billing.keys, answer)


async def test_yesterdays_bill_is_creating_until_ten_hours_after_midnight_divided_by_the_factor(sandbox_data_dir):
    slow = await start_bill_sandbox(sandbox_data_dir, "bill_sandbox_slow", time_factor=0.001)  # 10 h = 10,000 h
    try:
        yesterday = (datetime.now(CHINA).date() - timedelta(days=1)).isoformat()
        answer = await v3_call(slow.http, slow.keys, "GET", f"/v3/bill/tradebill?bill_date={yesterday}")
        assert answer.status_code == 400 and answer.json() == {"code": "STATEMENT_CREATING", "message": "账单生成中"}
        code, text = await slow.wxpay.trade_bill(bill_date=datetime.now(CHINA).date().isoformat())
        assert code == 400 and json.loads(text)["code"] == "NO_STATEMENT_EXIST"  # today so far: served, empty here
    finally:
        await slow.stop()


@pytest.mark.parametrize("factor, out_at", [(1, "10:00:00"), (10, "01:00:00"), (3600, "00:00:10")])
def test_the_time_factor_divides_the_ten_hours_after_the_day_ends(factor, out_at):
    day = date(2026, 3, 14)
    out = datetime.fromisoformat(f"2026-03-15T{out_at}+08:00").timestamp()
    assert bills.availability(day, out - 1, factor) == "creating"
    assert bills.availability(day, out, factor) == "available"
    assert bills.availability(day, datetime(2026, 6, 14, 12, tzinfo=CHINA).timestamp(), factor) == "available"
    assert bills.availability(day, datetime(2026, 6, 15, 12, tzinfo=CHINA).timestamp(), factor) == "out_of_range"
    assert bills.availability(day, datetime(2026, 3, 14, 23, tzinfo=CHINA).timestamp(), factor) == "available"


def test_a_refund_is_billed_on_the_day_wechat_accepted_it_not_the_day_it_succeeded():
    ledger = Ledger()
    order = ledger.create_prepay(fingerprint={}, expires_at=None, api="v3", out_trade_no="T_midnight", appid="wx1",
                                 mchid="1900000001", description="跨零点", total=1000, currency="CNY", openid="o1",
                                 notify_url="http://127.0.0.1/n", attach="")
    ledger.pay(order.prepay_id, "SUCCESS")
    refund, _ = ledger.create_refund(order, out_refund_no="R_midnight", refund=400, total=1000, reason="",
                                     notify_url="", api="v3", fingerprint={})
    day = date(2026, 3, 14)
    end = bills.day_bounds(day)[1]
    order.success_time, refund.created_at = end - 3600, end - 0.5  # paid 23:00, refund accepted 23:59:59.5
    ledger.complete_refund(refund)
    refund.success_time = end + 2  # succeeded 00:00:02 the next day
    that_day = _split(bills.trade_bill(ledger, day, "ALL"))
    assert [line[9] for line in that_day[1:-2]] == ["`SUCCESS", "`REFUND"]
    assert that_day[2][0] == "`2026-03-14 23:59:59"
    assert bills.trade_bill(ledger, day + timedelta(days=1), "ALL") is None
    assert bills.trade_bill(ledger, day + timedelta(days=1), "REFUND") is None


async def test_bill_bad_hash_fault_makes_the_hash_wrong_until_removed(billing, day):
    fault = await billing.http.post("/control/faults", json={"kind": "bill_bad_hash", "rate": 1.0})
    assert fault.status_code == 201 and fault.json()["kind"] == "bill_bad_hash"
    code, text = await billing.wxpay.trade_bill(bill_date=day.day.isoformat())
    applied = json.loads(text)
    code, content = await billing.wxpay.download_bill(applied["download_url"])
    assert hashlib.sha1(gzip.decompress(content)).hexdigest() != applied["hash_value"]
    await billing.http.delete(f"/control/faults/{fault.json()['id']}")
    code, text = await billing.wxpay.trade_bill(bill_date=day.day.isoformat())
    code, content = await billing.wxpay.download_bill(json.loads(text)["download_url"])
    assert hashlib.sha1(gzip.decompress(content)).hexdigest() == json.loads(text)["hash_value"]
    misaimed = await billing.http.post("/control/faults", json={"kind": "bill_bad_hash", "rate": 1, "apis": ["jsapi"]})
    assert misaimed.status_code == 400 and "tradebill" in misaimed.json()["message"]


async def test_api_faults_reach_the_bill_apis(billing, day):
    await billing.http.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["tradebill"]})
    failed = await v3_call(billing.http, billing.keys, "GET", f"/v3/bill/tradebill?bill_date={day.day.isoformat()}")
    assert failed.status_code == 500 and failed.json()["code"] == "SYSTEM_ERROR"
    await billing.http.delete("/control/faults")
    await billing.http.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["downloadbill"]})
    answer = await billing.http.post("/pay/downloadbill", content=_v2_body(billing, day.day.strftime("%Y%m%d")))
    assert answer.status_code == 500 and "<return_code><![CDATA[FAIL]]></return_code>" in answer.text


def _v2_body(billing: BillSandbox, bill_date: str, **extra: str) -> bytes:
    fields = {"appid": billing.keys["appid"], "mch_id": billing.keys["mchid"], "nonce_str": "n0nce" + bill_date,
              "bill_date": bill_date, **extra}
    return dict_to_xml(fields, calculate_signature(fields, billing.keys["apiv2_key"])).encode()


async def test_apiv2_downloadbill_through_wechatpy_is_the_same_bill(billing, day):
    client = WeChatPay(appid=billing.keys["appid"], api_key=billing.keys["apiv2_key"], mch_id=billing.keys["mchid"],
                       timeout=10)
    client.API_BASE_URL = billing.base + "/"
    text = await asyncio.to_thread(client.tools.download_bill, day.day.strftime("%Y%m%d"))
    applied = await _apply(billing, day.day.isoformat())
    assert text.encode() == await _download(billing, applied["download_url"])
    refund_only = await asyncio.to_thread(client.tools.download_bill, day.day.strftime("%Y%m%d"), "REFUND")
    assert refund_only.splitlines()[0].split(",") == REFUND_HEADER
    with pytest.raises(WeChatPayException) as no_bill:
        await asyncio.to_thread(client.tools.download_bill, (day.day - timedelta(days=1)).strftime("%Y%m%d"))
    assert (no_bill.value.return_code, no_bill.value.return_msg) == ("FAIL", "No Bill Exist")

    gzipped = await billing.http.post("/pay/downloadbill", content=_v2_body(
        billing, day.day.strftime("%Y%m%d"), tar_type="GZIP"))
    assert gzip.decompress(gzipped.content) == text.encode()
    for extra, message in (({"bill_type": "REVOKED"}, "invalid bill_type"), ({"tar_type": "ZIP"}, "data format error")):
        answer = await billing.http.post("/pay/downloadbill", content=_v2_body(billing, day.day.strftime("%Y%m%d"), **extra))
        assert f"<return_msg><![CDATA[{message}]]></return_msg>" in answer.text
    bad_sign = _v2_body(billing, day.day.strftime("%Y%m%d")).replace(b"<sign>", b"<sign>0")
    answer = await billing.http.post("/pay/downloadbill", content=bad_sign)
    assert "<return_code><![CDATA[FAIL]]></return_code>" in answer.text and "签名错误" in answer.text


def test_yuan_is_written_from_fen_exactly():
    assert [bills.yuan(fen) for fen in (0, 1, 10, 990, 1234567, -300)] == [
        "0.00", "0.01", "0.10", "9.90", "12345.67", "-3.00"]
    assert [bills.yuan(fee, 5) for fee in (0, 6, -2)] == ["0.00000", "0.06000", "-0.02000"]

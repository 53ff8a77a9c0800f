"""WeChat Pay APIv3: request signatures checked, answers signed, jsapi/query/close."""

from __future__ import annotations

import json
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import authorization, create_prepay, time_expire, v3_call, verify_answer


def _other_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


async def test_badly_signed_requests_are_sign_error(client, keys):
    url = f"/v3/pay/transactions/out-trade-no/T000000?mchid={keys['mchid']}"
    cases = {
        "other key": {"private_key_pem": _other_private_key_pem()},
        "other serial": {"serial_no": "0" * 40},
        "stale timestamp": {"timestamp": int(time.time()) - 310},
        "future timestamp": {"timestamp": int(time.time()) + 310},
    }
    for name, auth in cases.items():
        answer = await v3_call(client, keys, "GET", url, **auth)
        assert answer.status_code == 401, name
        assert answer.json()["code"] == "SIGN_ERROR", name
        assert verify_answer(keys, answer), name
    unsigned = await client.get(url)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"


async def test_tampered_body_is_sign_error(client, keys):
    body = json.dumps({"mchid": keys["mchid"]})
    url = "/v3/pay/transactions/out-trade-no/T000000/close"
    headers = {"Authorization": authorization(keys, "POST", url, body), "Content-Type": "application/json"}
    answer = await client.post(url, content=json.dumps({"mchid": keys["mchid"], "x": 1}), headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"


async def test_well_signed_answers_verify_and_full_path_is_accepted(client, keys):
    relative = f"/v3/pay/transactions/out-trade-no/T0NOSUCH?mchid={keys['mchid']}"
    answer = await v3_call(client, keys, "GET", relative)
    assert answer.status_code == 404
    assert answer.json() == {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
    assert verify_answer(keys, answer)
    assert answer.headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert len(answer.headers["Request-ID"]) > 0
    full = await v3_call(client, keys, "GET", "/sandbox/wechat" + relative)
    assert full.status_code == 404


async def test_sdk_jsapi_query_close(wxpay, receiver, keys, out_trade_no):
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, total=1234, openid="o_buyer")
    assert prepay_id.startswith("wx") and len(prepay_id) == 36
    code, text = await wxpay.query(out_trade_no=out_trade_no)
    assert code == 200
    assert json.loads(text) == {
        "appid": keys["appid"], "mchid": keys["mchid"], "out_trade_no": out_trade_no,
        "trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "attach": "", "payer": {},
        "amount": {"total": 1234, "currency": "CNY", "payer_currency": "CNY"}, "promotion_detail": [],
    }
    code, text = await wxpay.close(out_trade_no=out_trade_no)
    assert (code, text) == (204, b"")
    code, text = await wxpay.query(out_trade_no=out_trade_no)
    assert json.loads(text)["trade_state"] == "CLOSED"
    code, text = await wxpay.close(out_trade_no=out_trade_no)
    assert code == 204  # closing twice is harmless


async def test_same_out_trade_no_same_params_same_prepay(wxpay, receiver, out_trade_no):
    expire = time_expire(600)
    args = dict(description="商品", out_trade_no=out_trade_no, amount={"total": 100, "currency": "CNY"},
                payer={"openid": "o_same"}, time_expire=expire, notify_url=receiver.url("same"))
    first = await wxpay.pay(**args)
    second = await wxpay.pay(**args)
    assert first[0] == second[0] == 200
    assert json.loads(first[1])["prepay_id"] == json.loads(second[1])["prepay_id"]
    code, text = await wxpay.pay(**{**args, "amount": {"total": 101, "currency": "CNY"}})
    assert code == 400 and json.loads(text)["code"] == "INVALID_REQUEST"


async def test_jsapi_refuses_bad_parameters(wxpay, receiver, client, keys):
    base = dict(description="商品", amount={"total": 100, "currency": "CNY"}, payer={"openid": "o_x"},
                notify_url=receiver.url("bad"))
    code, text = await wxpay.pay(out_trade_no="abc", time_expire=time_expire(600), **base)
    assert (code, json.loads(text)["code"]) == (400, "PARAM_ERROR")
    code, text = await wxpay.pay(out_trade_no="T_bad_chars#1", time_expire=time_expire(600), **base)
    assert (code, json.loads(text)["code"]) == (400, "PARAM_ERROR")
    code, text = await wxpay.pay(out_trade_no="T_expired_01", time_expire=time_expire(-5), **base)
    assert (code, json.loads(text)["code"]) == (400, "PARAM_ERROR")
    code, text = await wxpay.pay(out_trade_no="T_zero_amount", time_expire=time_expire(600),
                                 **{**base, "amount": {"total": 0}})
    assert (code, json.loads(text)["code"]) == (400, "PARAM_ERROR")
    code, text = await wxpay.pay(out_trade_no="T_other_app", appid="wx0000000000000000", **base)
    assert (code, json.loads(text)["code"]) == (400, "APPID_MCHID_NOT_MATCH")
    headers = {"Authorization": authorization(keys, "POST", "/v3/pay/transactions/jsapi", "{")}
    not_json = await client.post("/v3/pay/transactions/jsapi", content=b"{", headers=headers)
    assert not_json.status_code == 400 and not_json.json()["code"] == "PARAM_ERROR"


async def test_query_needs_matching_mchid(client, keys):
    answer = await v3_call(client, keys, "GET", "/v3/pay/transactions/out-trade-no/T0NOSUCH")
    assert answer.status_code == 400 and answer.json()["code"] == "PARAM_ERROR"
    other = await v3_call(client, keys, "GET", "/v3/pay/transactions/out-trade-no/T0NOSUCH?mchid=1000000001")
    assert other.status_code == 400 and other.json()["code"] == "PARAM_ERROR"


async def test_api_error_fault_on_pay_api_is_signed_system_error(client, keys, wxpay, receiver, out_trade_no):
    await client.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["jsapi"]})
    answer = await v3_call(client, keys, "POST", "/v3/pay/transactions/jsapi", {"x": 1})
    assert answer.status_code == 500
    assert answer.json() == {"code": "SYSTEM_ERROR", "message": "系统错误"}
    assert verify_answer(keys, answer)
    code, _ = await wxpay.query(out_trade_no="T0NOSUCH")
    assert code == 404  # other APIs unaffected
    await client.delete("/control/faults")
    assert (await create_prepay(wxpay, receiver, out_trade_no)).startswith("wx")


async def test_closing_a_paid_order_is_orderpaid(client, wxpay, receiver, out_trade_no):
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key="close_paid")
    paid = await client.post("/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
    assert paid.status_code == 200
    code, text = await wxpay.close(out_trade_no=out_trade_no)
    assert code == 400 and json.loads(text)["code"] == "ORDERPAID"
    code, text = await wxpay.pay(description="x", out_trade_no=out_trade_no, amount={"total": 1},
                                 payer={"openid": "o"}, notify_url=receiver.url("x"))
    assert code == 403 and json.loads(text)["code"] == "ORDERPAID"


async def test_time_expire_minimum_is_one_minute_on_the_sandbox_clock(sandbox_data_dir, keys, receiver):
    import httpx

    from app.sandbox import create_sandbox_app

    from tests.servers import ServedApp

    slow = await ServedApp(create_sandbox_app(sandbox_data_dir, 1.0, name="sandbox_real_time")).start()
    try:
        async with httpx.AsyncClient(base_url=slow.origin + "/sandbox/wechat") as http:
            def body(no: str, seconds: float) -> dict:
                return {"appid": keys["appid"], "mchid": keys["mchid"], "description": "x", "out_trade_no": no,
                        "notify_url": receiver.url("slow"), "amount": {"total": 1}, "payer": {"openid": "o"},
                        "time_expire": time_expire(seconds)}
            too_soon = await v3_call(http, keys, "POST", "/v3/pay/transactions/jsapi", body("T_minimum_1", 30))
            assert too_soon.status_code == 400 and too_soon.json()["code"] == "PARAM_ERROR"
            enough = await v3_call(http, keys, "POST", "/v3/pay/transactions/jsapi", body("T_minimum_2", 65))
            assert enough.status_code == 200 and verify_answer(keys, enough)
    finally:
        await slow.stop()


async def test_concurrent_identical_prepays_get_one_prepay_id(wxpay, receiver, out_trade_no):
    import asyncio

    args = dict(description="并发", out_trade_no=out_trade_no, amount={"total": 100, "currency": "CNY"},
                payer={"openid": "o_race"}, time_expire=time_expire(600), notify_url=receiver.url("race"))
    answers = await asyncio.gather(*(wxpay.pay(**args) for _ in range(10)))
    assert {code for code, _ in answers} == {200}
    assert len({json.loads(text)["prepay_id"] for _, text in answers}) == 1

"""control/pay and APIv3 notifications: delivery, decryption, retries, faults, resend, the attempt log."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from .conftest import create_prepay, time_expire


async def _pay(client, prepay_id: str, result: str = "SUCCESS", **extra):
    return await client.post("/control/pay", json={"prepay_id": prepay_id, "result": result, **extra})


async def _log(client, out_trade_no: str) -> list[dict]:
    return (await client.get("/control/notifications", params={"out_trade_no": out_trade_no})).json()["items"]


async def _wait_log(client, out_trade_no: str, count: int, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        log = await _log(client, out_trade_no)
        if len(log) >= count and all(a["response"] or a["error"] for a in log):
            return log
        assert time.monotonic() < deadline, log
        await asyncio.sleep(0.02)


async def test_payment_notification_is_signed_encrypted_and_logged(client, wxpay, receiver, keys, out_trade_no):
    key = secrets.token_hex(4)
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, total=2500, notify_key=key, openid="o_payer")
    answer = await _pay(client, prepay_id)
    assert answer.status_code == 200
    paid = answer.json()
    assert set(paid) == {"out_trade_no", "transaction_id", "trade_state"}
    assert (paid["out_trade_no"], paid["trade_state"]) == (out_trade_no, "SUCCESS")
    assert len(paid["transaction_id"]) == 28 and paid["transaction_id"].isdigit()

    [received] = await receiver.wait_for(key, 1)
    notification = wxpay.callback(received["headers"], received["body"])  # verifies, then decrypts
    assert notification is not None
    assert notification["event_type"] == "TRANSACTION.SUCCESS"
    assert notification["summary"] == "支付成功"
    assert notification["resource_type"] == "encrypt-resource"
    raw = json.loads(received["body"])
    assert raw["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    assert raw["resource"]["associated_data"] == raw["resource"]["original_type"] == "transaction"
    assert len(raw["resource"]["nonce"]) == 12
    code, text = await wxpay.query(out_trade_no=out_trade_no)
    transaction = json.loads(text)
    assert notification["resource"] == transaction
    assert transaction["trade_state"] == "SUCCESS" and transaction["transaction_id"] == paid["transaction_id"]
    assert transaction["payer"] == {"openid": "o_payer"}
    assert transaction["amount"] == {"total": 2500, "payer_total": 2500, "currency": "CNY", "payer_currency": "CNY"}
    assert transaction["success_time"].endswith("+08:00")

    [attempt] = await _wait_log(client, out_trade_no, 1)
    assert set(attempt) == {"id", "out_trade_no", "event_type", "url", "request", "response", "error", "sent_at"}
    assert attempt["request"]["body"] == received["body"]
    assert attempt["url"] == receiver.url(key) and attempt["event_type"] == "TRANSACTION.SUCCESS"
    assert attempt["response"] == {"status": 204, "body": ""} and attempt["error"] is None
    assert attempt["request"]["headers"]["Wechatpay-Serial"] == keys["platform"]["public_key_id"]


async def test_notification_is_retried_until_acknowledged(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    receiver.script(key, (500, '{"code":"FAIL","message":"db down"}'), (404, ""), (503, ""), (200, ""))
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    await _pay(client, prepay_id)
    received = await receiver.wait_for(key, 4)
    log = await _wait_log(client, out_trade_no, 4)
    assert [a["response"]["status"] for a in log] == [500, 404, 503, 200]
    assert log[0]["response"]["body"] == '{"code":"FAIL","message":"db down"}'
    assert len({r["body"] for r in received}) == 1  # the same notification every time
    assert len({r["headers"]["wechatpay-nonce"] for r in received}) == 4  # signed anew each time
    await asyncio.sleep(0.3)  # the next retry would be due after 180 ms
    assert len(receiver.received[key]) == 4


async def test_unreachable_notify_url_is_logged_with_error(client, wxpay, receiver, out_trade_no):
    code, text = await wxpay.pay(description="x", out_trade_no=out_trade_no, amount={"total": 1},
                                 payer={"openid": "o"}, time_expire=time_expire(600),
                                 notify_url="http://127.0.0.1:9/unreachable")
    await _pay(client, json.loads(text)["prepay_id"])
    first = (await _wait_log(client, out_trade_no, 2))[0]
    assert first["response"] is None and "ConnectError" in first["error"]


async def test_drop_fault_loses_attempts_until_cleared(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    await client.post("/control/faults", json={"kind": "notify_drop", "rate": 1, "apis": ["pay_notify"]})
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    await _pay(client, prepay_id)
    dropped = await _wait_log(client, out_trade_no, 2)
    assert [a["error"] for a in dropped[:2]] == ["dropped by fault notify_drop"] * 2
    assert dropped[0]["response"] is None
    assert key not in receiver.received
    await client.delete("/control/faults")
    await receiver.wait_for(key, 1, timeout=5)
    log = await _log(client, out_trade_no)
    assert log[-1]["response"]["status"] == 204 and log[-1]["error"] is None


async def test_duplicate_fault_sends_twice(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    await client.post("/control/faults", json={"kind": "notify_duplicate", "rate": 1})
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    await _pay(client, prepay_id)
    received = await receiver.wait_for(key, 2)
    assert received[0]["body"] == received[1]["body"]
    await asyncio.sleep(0.1)
    assert len(receiver.received[key]) == 2  # acknowledged: no retry after the pair
    assert len(await _log(client, out_trade_no)) == 2


async def test_delay_fault_sends_late(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    await client.post("/control/faults", json={"kind": "notify_delay", "rate": 1, "delay_s": 0.4})
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    started = time.monotonic()
    await _pay(client, prepay_id)
    await asyncio.sleep(0.2)
    assert key not in receiver.received
    await receiver.wait_for(key, 1)
    assert time.monotonic() - started >= 0.4


async def test_reorder_fault_sends_after_the_next_one(client, wxpay, receiver):
    key = secrets.token_hex(4)
    first_no, second_no = "T" + secrets.token_hex(8), "T" + secrets.token_hex(8)
    first = await create_prepay(wxpay, receiver, first_no, notify_key=key)
    second = await create_prepay(wxpay, receiver, second_no, notify_key=key)
    fault = (await client.post("/control/faults", json={"kind": "notify_reorder", "rate": 1})).json()
    await _pay(client, first)
    await asyncio.sleep(0.1)
    await client.delete(f"/control/faults/{fault['id']}")
    await _pay(client, second)
    # released as soon as the next one went out, well before the hold's own limit (1 s)
    received = await receiver.wait_for(key, 2, timeout=0.5)
    order = [wxpay.callback(r["headers"], r["body"])["resource"]["out_trade_no"] for r in received]
    assert order == [second_no, first_no]


async def test_resend_delivers_again_signed_anew(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    await _pay(client, prepay_id)
    [original] = await receiver.wait_for(key, 1)
    [attempt] = await _wait_log(client, out_trade_no, 1)
    answer = await client.post(f"/control/notifications/{attempt['id']}/resend")
    assert answer.status_code == 200
    resent = answer.json()
    assert resent["id"] != attempt["id"] and resent["response"]["status"] == 204
    [_, again] = await receiver.wait_for(key, 2)
    assert again["body"] == original["body"]
    assert again["headers"]["wechatpay-nonce"] != original["headers"]["wechatpay-nonce"]
    assert wxpay.callback(again["headers"], again["body"])["resource"]["out_trade_no"] == out_trade_no
    assert [a["id"] for a in await _log(client, out_trade_no)] == [attempt["id"], resent["id"]]
    missing = await client.post("/control/notifications/att_999999/resend")
    assert missing.status_code == 404


async def test_pay_refusals_and_force(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    await wxpay.close(out_trade_no=out_trade_no)
    refused = await _pay(client, prepay_id)
    assert refused.status_code == 409 and refused.json()["code"] == "ORDER_CLOSED"
    forced = await _pay(client, prepay_id, force=True)
    assert forced.status_code == 200 and forced.json()["trade_state"] == "SUCCESS"
    await receiver.wait_for(key, 1)
    again = await _pay(client, prepay_id)
    assert again.status_code == 409 and again.json()["code"] == "ORDERPAID"


async def test_expired_prepay_needs_force(client, wxpay, receiver, out_trade_no):
    code, text = await wxpay.pay(description="x", out_trade_no=out_trade_no, amount={"total": 1},
                                 payer={"openid": "o"}, notify_url=receiver.url("expired"),
                                 time_expire=time_expire(0.3, "milliseconds"))
    assert code == 200, text
    await asyncio.sleep(0.4)
    prepay_id = json.loads(text)["prepay_id"]
    refused = await _pay(client, prepay_id)
    assert refused.status_code == 409 and refused.json()["code"] == "ORDER_EXPIRED"
    assert (await _pay(client, prepay_id, force=True)).json()["trade_state"] == "SUCCESS"


async def test_payerror_and_cancel_send_nothing(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    cancelled = (await _pay(client, prepay_id, "CANCEL")).json()
    assert cancelled == {"out_trade_no": out_trade_no, "transaction_id": None, "trade_state": "NOTPAY"}
    failed = (await _pay(client, prepay_id, "PAYERROR")).json()
    assert failed["trade_state"] == "PAYERROR"
    code, text = await wxpay.query(out_trade_no=out_trade_no)
    assert json.loads(text)["trade_state"] == "PAYERROR"
    await asyncio.sleep(0.1)
    assert key not in receiver.received and await _log(client, out_trade_no) == []
    assert (await _pay(client, prepay_id)).json()["trade_state"] == "SUCCESS"  # the user tries again
    await receiver.wait_for(key, 1)


async def test_concurrent_payments_of_one_prepay_pay_once(client, wxpay, receiver, out_trade_no):
    key = secrets.token_hex(4)
    prepay_id = await create_prepay(wxpay, receiver, out_trade_no, notify_key=key)
    answers = await asyncio.gather(*(_pay(client, prepay_id) for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ORDERPAID"}
    await receiver.wait_for(key, 1)
    await asyncio.sleep(0.1)
    assert len(receiver.received[key]) == 1

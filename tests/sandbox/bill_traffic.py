"""A day of real traffic through a sandbox of its own, for its trade bill: payments, refunds, unpaid orders."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
from sanic import Sanic
from sanic.response import HTTPResponse
from wechatpayv3.async_ import AsyncWeChatPay
from wechatpayv3.async_.type import WeChatPayType

from app.sandbox import create_sandbox_app
from tests.servers import ServedApp

PREFIX = "/sandbox/wechat"
CHINA = timezone(timedelta(hours=8))
# The bill of a past day is out 10 h ÷ factor after its end: 36 ms here, so a run that crosses
# midnight (Asia/Shanghai) still finds yesterday's bill at once.
BILL_TIME_FACTOR = 1e6


@dataclass(frozen=True)
class Paid:
    out_trade_no: str
    transaction_id: str
    total: int
    description: str
    openid: str


@dataclass(frozen=True)
class Refunded:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    refund: int


@dataclass
class DayTraffic:
    day: date
    payments: list[Paid] = field(default_factory=list)
    refunds: list[Refunded] = field(default_factory=list)
    not_paid: list[str] = field(default_factory=list)  # out_trade_nos that must not be in any bill


@dataclass
class BillSandbox:
    served: ServedApp
    receiver: ServedApp
    http: httpx.AsyncClient
    keys: dict
    wxpay: AsyncWeChatPay

    @property
    def base(self) -> str:
        return self.served.origin + PREFIX

    async def stop(self) -> None:
        await self.wxpay.__aexit__(None, None, None)
        await self.http.aclose()
        await self.served.stop()
        await self.receiver.stop()


def _receiver(name: str) -> Sanic:
    app = Sanic(name)

    @app.post("/notify")
    async def notify(request) -> HTTPResponse:
        return HTTPResponse(status=204)

    return app


async def start_bill_sandbox(data_dir: Path, name: str, time_factor: float = BILL_TIME_FACTOR) -> BillSandbox:
    """A sandbox of its own (its ledger holds only what the caller does), an ack-all notify_url, an SDK."""
    served = await ServedApp(create_sandbox_app(data_dir, time_factor, name=name)).start()
    receiver = await ServedApp(_receiver(name + "_receiver")).start()
    http = httpx.AsyncClient(base_url=served.origin + PREFIX, timeout=10)
    keys = (await http.get("/control/keys")).json()
    wxpay = AsyncWeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG, mchid=keys["mchid"], private_key=keys["merchant"]["private_key_pem"],
        cert_serial_no=keys["merchant"]["serial_no"], appid=keys["appid"], apiv3_key=keys["apiv3_key"],
        notify_url=receiver.origin + "/notify", public_key=keys["platform"]["public_key_pem"],
        public_key_id=keys["platform"]["public_key_id"], timeout=(5, 15),
    )
    wxpay._core._gate_way = served.origin + PREFIX  # as tests/sandbox do: the SDK itself is unmodified
    await wxpay.__aenter__()
    return BillSandbox(served, receiver, http, keys, wxpay)


async def _wait_clear_of_midnight() -> None:
    """A day's traffic must fall on one Asia/Shanghai day: wait for the next one if midnight is a minute away."""
    now = datetime.now(CHINA)
    to_midnight = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), CHINA) - now).total_seconds()
    if to_midnight < 60:
        await asyncio.sleep(to_midnight + 0.1)


async def _prepay(sandbox: BillSandbox, total: int, description: str, openid: str) -> tuple[str, str]:
    out_trade_no = "B" + secrets.token_hex(8)
    expire = datetime.fromtimestamp(time.time() + 900, CHINA).isoformat(timespec="seconds")
    code, text = await sandbox.wxpay.pay(
        description=description, out_trade_no=out_trade_no, amount={"total": total, "currency": "CNY"},
        payer={"openid": openid}, time_expire=expire, attach="bill-test",
    )
    assert code == 200, text
    return out_trade_no, json.loads(text)["prepay_id"]


async def _user_pays(sandbox: BillSandbox, prepay_id: str, result: str) -> dict:
    answer = await sandbox.http.post("/control/pay", json={"prepay_id": prepay_id, "result": result})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _refund(sandbox: BillSandbox, paid: Paid, amount: int) -> Refunded:
    out_refund_no = "R" + secrets.token_hex(8)
    code, text = await sandbox.wxpay.refund(out_refund_no=out_refund_no, out_trade_no=paid.out_trade_no,
                                            amount={"refund": amount, "total": paid.total, "currency": "CNY"})
    assert code == 200, text
    return Refunded(out_refund_no, json.loads(text)["refund_id"], paid.out_trade_no, amount)


async def _until_refunds_succeed(sandbox: BillSandbox, refunds: list[Refunded]) -> None:
    deadline = time.monotonic() + 10
    for refund in refunds:
        while True:
            code, text = await sandbox.wxpay.query_refund(out_refund_no=refund.out_refund_no)
            if code == 200 and json.loads(text)["status"] == "SUCCESS":
                break
            assert time.monotonic() < deadline, f"refund {refund.out_refund_no} still {text}"
            await asyncio.sleep(0.01)


async def drive_day(sandbox: BillSandbox) -> DayTraffic:
    """Four payments (one description with a comma and quotes), a full and a partial refund, one order
    never paid and one whose payment failed; returns what the day's bills must show."""
    await _wait_clear_of_midnight()
    traffic = DayTraffic(day=datetime.now(CHINA).date())
    for total, description in ((990, "一键咖啡"), (1, "一分钱测试"), (1234567, '礼盒, 含"引号"'), (100, "退全款")):
        out_trade_no, prepay_id = await _prepay(sandbox, total, description, "o_bill_" + secrets.token_hex(4))
        paid = await _user_pays(sandbox, prepay_id, "SUCCESS")
        code, text = await sandbox.wxpay.query(out_trade_no=out_trade_no)
        openid = json.loads(text)["payer"]["openid"]
        traffic.payments.append(Paid(out_trade_no, paid["transaction_id"], total, description, openid))
    for total, result in ((500, None), (700, "PAYERROR")):
        out_trade_no, prepay_id = await _prepay(sandbox, total, "不出现在账单里", "o_bill_unpaid")
        if result:
            await _user_pays(sandbox, prepay_id, result)
        traffic.not_paid.append(out_trade_no)
    traffic.refunds.append(await _refund(sandbox, traffic.payments[0], 300))  # partial
    traffic.refunds.append(await _refund(sandbox, traffic.payments[3], 100))  # full
    await _until_refunds_succeed(sandbox, traffic.refunds)
    assert datetime.now(CHINA).date() == traffic.day, "the traffic crossed midnight"
    return traffic

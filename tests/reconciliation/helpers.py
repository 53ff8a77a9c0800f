"""A day of real traffic through the BFF and its sandbox, reconciliation runs, and the operators' view of them."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import httpx
from wechatpayv3.async_ import AsyncWeChatPay
from wechatpayv3.async_.type import WeChatPayType

from app.reconciliation import service
from app.reconciliation.models import ReconciliationRun
from tests.factories import operator_headers
from tests.notify.helpers import sandbox_keys

CHINA = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(CHINA).date()


async def clear_of_midnight(margin_s: float = 180.0) -> date:
    """The Asia/Shanghai day a test's traffic will all fall on: wait for the next one if midnight is that close."""
    now = datetime.now(CHINA)
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), CHINA) - now).total_seconds()
    if left < margin_s:
        await asyncio.sleep(left + 0.5)
    return china_today()


async def reconcile(deps, day: date, timeout_s: float = 30.0) -> ReconciliationRun:
    """Run the day at once with the server's `deps`, in its process, as `python -m app reconcile` does (waiting
    if the jobs hold the day's lease)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await service.reconcile_now(deps, day)
        except service.ReconciliationBusy:
            assert time.monotonic() < deadline, f"the reconciliation of {day} stayed busy"
            await asyncio.sleep(0.2)


async def day_view(client: httpx.AsyncClient, day: date, role: str = "analyst", **params) -> dict:
    """The whole day as the admin API pages it: the run and every difference."""
    headers = await operator_headers(client, role)
    items, cursor = [], None
    while True:
        query = {"date": day.isoformat(), "limit": 100, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/admin/v1/reconciliation", params=query, headers=headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        items += answer["differences"]["items"]
        cursor = answer["differences"]["next_cursor"]
        if cursor is None:
            return {**answer, "differences": items}


def of_order(view: dict, out_trade_no: str) -> list[tuple[str, dict]]:
    return [(d["kind"], d) for d in view["differences"] if d["out_trade_no"] == out_trade_no]


@dataclass
class SessionBill:
    """The session sandbox's bill of a day, fetched apart from the BFF by an unmodified APIv3 SDK."""

    content: bytes
    hash_value: str
    applied: dict = field(default_factory=dict)


async def fetch_bill(client: httpx.AsyncClient, server, day: date, bill_type: str = "ALL") -> SessionBill:
    keys = await sandbox_keys(client)
    wxpay = AsyncWeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG, mchid=keys["mchid"], private_key=keys["merchant"]["private_key_pem"],
        cert_serial_no=keys["merchant"]["serial_no"], appid=keys["appid"], apiv3_key=keys["apiv3_key"],
        notify_url=server.base_url + "/notify/wechatpay", public_key=keys["platform"]["public_key_pem"],
        public_key_id=keys["platform"]["public_key_id"], timeout=(5, 15))
    wxpay._core._gate_way = server.settings.wechat_base_url  # the SDK itself is unmodified
    async with wxpay:
        code, text = await wxpay.trade_bill(bill_date=day.isoformat(), bill_type=bill_type)
        assert code == 200, text
        applied = json.loads(text)
        code, content = await wxpay.download_bill(applied["download_url"])
    bill = gzip.decompress(content)
    assert hashlib.sha1(bill).hexdigest() == applied["hash_value"]
    return SessionBill(bill, applied["hash_value"], applied)


async def metric_value(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    text = (await client.get("/metrics")).text
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not exposed")

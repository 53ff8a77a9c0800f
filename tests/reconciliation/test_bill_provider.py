"""The WeChat Pay providers' trade-bill calls against the session's sandbox: APIv3 (signed, gzip, hash) and APIv2."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest

from app.orders.models import Order
from app.payments import BillDownload, ProviderRejected, ProviderUnavailable
from app.payments.interface import NO_BILL
from app.payments.registry import V2, V3, Payments
from app.reconciliation.bill import parse_trade_bill
from tests.jobs.helpers import sandbox_fault
from tests.reconciliation.helpers import china_today, clear_of_midnight, day_view, fetch_bill, of_order, reconcile
from tests.refunds.helpers import paid_wechat_order


async def test_apiv3_applies_downloads_and_ungzips_the_bill_whose_hash_it_publishes(client, server):
    day = await clear_of_midnight()
    order = await paid_wechat_order(client, 4100)
    v3 = server.app.ctx.deps.payments.get(V3)
    bill = await v3.trade_bill(day)
    assert (bill.api, bill.bill_date, bill.bill_type) == ("wechatpay_v3", day, "ALL")
    assert bill.download_url.startswith(server.settings.wechat_base_url + "/v3/billdownload/file?token=")
    assert "tartype=gzip" in bill.download_url
    content = await v3.download_bill(bill)
    assert content.startswith("交易时间,".encode()) and (bill.hash_type, hashlib.sha1(content).hexdigest()) == (
        "SHA1", bill.hash_value)
    assert order["out_trade_no"] in [row.out_trade_no for row in parse_trade_bill(content).payments]
    assert content == (await fetch_bill(client, server, day)).content  # what an unmodified SDK downloads


async def test_apiv2_downloadbill_gives_the_same_bill_without_a_hash(client, server):
    day = await clear_of_midnight()
    await paid_wechat_order(client, 4200)
    v2, v3 = server.app.ctx.deps.payments.get(V2), server.app.ctx.deps.payments.get(V3)
    bill = await v2.trade_bill(day)
    assert (bill.api, bill.hash_type, bill.hash_value) == ("wechatpay_v2", None, None)
    by_v2 = await v2.download_bill(bill)
    by_v3 = await v3.download_bill(await v3.trade_bill(day))
    assert parse_trade_bill(by_v2) == parse_trade_bill(by_v3)


async def test_a_day_without_trades_has_no_bill_by_either_api(server):
    quiet = (await clear_of_midnight()) - timedelta(days=85)  # within WeChat's three months, no sandbox trade
    v2, v3 = server.app.ctx.deps.payments.get(V2), server.app.ctx.deps.payments.get(V3)
    with pytest.raises(ProviderRejected) as by_v3:
        await v3.trade_bill(quiet)
    with pytest.raises(ProviderRejected) as by_v2:
        await v2.download_bill(await v2.trade_bill(quiet))
    assert by_v3.value.code == by_v2.value.code == NO_BILL


async def test_a_download_url_off_the_gateway_is_never_sent_our_signature(server):
    v3 = server.app.ctx.deps.payments.get(V3)
    elsewhere = BillDownload(api=V3, bill_date=china_today(), bill_type="ALL", hash_type="SHA1", hash_value="0" * 40,
                             download_url="http://127.0.0.1:9/v3/billdownload/file?token=abc")
    with pytest.raises(ProviderUnavailable, match="not on the WeChat Pay gateway"):
        await v3.download_bill(elsewhere)


async def test_a_download_that_keeps_failing_is_unavailable(client, server):
    day = await clear_of_midnight()
    await paid_wechat_order(client, 4300)
    v3 = server.app.ctx.deps.payments.get(V3)
    bill = await v3.trade_bill(day)
    async with sandbox_fault(client, "api_error", apis=["billdownload"]):
        with pytest.raises(ProviderUnavailable):
            await v3.download_bill(bill)


async def test_a_merchant_on_apiv2_reconciles_the_same(client, server):
    """The bill of a merchant whose orders are APIv2's (YIJIAN_WXPAY_API=v2) comes by downloadbill, unhashed."""
    day = await clear_of_midnight()
    order = await paid_wechat_order(client, 4400)
    await Order.filter(id=order["id"]).update(payable_fen=4401)
    deps = server.app.ctx.deps
    on_v2 = dataclasses.replace(deps, payments=Payments(dataclasses.replace(server.settings, wxpay_api="v2"),
                                                        deps.wechat_credentials, deps.http))
    run = await reconcile(on_v2, day)
    assert (run.status, run.api) == ("done", "wechatpay_v2")
    assert of_order(await day_view(client, day), order["out_trade_no"])[0][0] == "amount_mismatch"


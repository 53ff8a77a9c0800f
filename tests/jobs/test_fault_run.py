"""The fault run of scripts/fault_run.py, smaller, against the session's server (DESIGN §5 faults)."""

from __future__ import annotations

from scripts.fault_run import fault_run
from tests.factories import operator_headers


async def test_orders_paid_under_notification_and_api_faults_match_wechat_pay_and_are_paid_once(client, server):
    wechatpay = server.app.ctx.deps.payments.default

    async def trade_state(out_trade_no: str) -> str:
        return (await wechatpay.query(out_trade_no)).trade_state

    result = await fault_run(client, await operator_headers(client), trade_state, orders=20, max_seconds=60)
    assert result["orders"] == 20
    assert result["mismatches"] == [] and result["double_paid"] == []
    assert result["status"] == {"PAID": 20} and result["trade_state"] == {"SUCCESS": 20}
    assert sum(result["paid_by"].values()) == 20

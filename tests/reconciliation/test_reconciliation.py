"""A day of real traffic through the BFF reconciled against the sandbox's trade bill (DESIGN §8): differences
with both sides, the lost payment settled as paid_after_close, a rerun replacing the result, a bad hash refused."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

from app.orders.models import Order, Payment
from app.reconciliation.models import ReconciliationDifference, ReconciliationRun
from app.refunds.models import Refund
from tests.factories import operator_headers
from tests.jobs.helpers import sandbox_fault, wait_until
from tests.notify.helpers import admin_order, pay, wait_for_status, wechat_order
from tests.reconciliation.helpers import (
    CHINA, clear_of_midnight, day_view, fetch_bill, metric_value, of_order, reconcile,
)
from tests.reconciliation.test_bill_parser import plain_reading
from tests.refunds.helpers import paid_wechat_order, refund, wait_refund

KINDS = ("missing_local", "missing_remote", "amount_mismatch", "refund_mismatch")


async def _refunded(client, order: dict, amount_fen: int) -> str:
    """An operator's refund, done at WeChat Pay; its out_refund_no."""
    made = await refund(client, order["id"], amount_fen)
    assert made.status_code == 201, made.text
    await wait_refund(client, order["id"], made.json()["id"])
    return (await Refund.get(id=made.json()["id"])).out_refund_no


async def _lost_payment(client) -> tuple[dict, dict]:
    """An order closed here while the user paid at WeChat, its notification and queries lost: (order, payment)."""
    made = await wechat_order(client, price_fen=1700)
    async with sandbox_fault(client, "api_error", apis=["query"]):
        cancelled = await client.post(f"/api/v1/orders/{made['order']['id']}/cancel", headers=made["who"]["headers"])
        assert cancelled.json()["status"] == "CLOSED"
        paid = await pay(client, made["prepay_id"], force=True)  # the user paid just as it was being closed
        await asyncio.sleep(0.3)  # its notification's first attempts are dropped meanwhile
    assert (await admin_order(client, made["order"]["id"]))["status"] == "CLOSED"
    return made["order"], paid


def _in_day(moment: datetime, day: date) -> bool:
    return moment.astimezone(CHINA).date() == day


async def _our_totals(day: date) -> dict:
    """Our books of the day, added up here in Python from every row (the service asks the database)."""
    payments = [p for p in await Payment.all() if p.paid_at and _in_day(p.paid_at, day)]
    refunds = [r for r in await Refund.all() if _in_day(r.created_at, day) and r.provider != "wallet"
               and r.status != "FAILED" and (r.provider_refund_id or r.status == "SUCCESS")]
    return {"payments": len(payments), "paid_fen": sum(p.amount_fen for p in payments),
            "refunds": len(refunds), "refunded_fen": sum(r.amount_fen for r in refunds)}


def _bill_totals(content: bytes) -> dict:
    """The bill's totals by the second, plain reading of WeChat's layout (tests/reconciliation/test_bill_parser)."""
    rows, _ = plain_reading(content, "ALL")
    payments = [row for row in rows if row["refund_id"] is None and row["state"] == "SUCCESS"]
    refunds = [row for row in rows if row["refund_id"] is not None]
    return {"payments": len(payments), "paid_fen": sum(row["total"] for row in payments),
            "refunds": len(refunds), "refunded_fen": sum(row["requested"] for row in refunds)}


async def _counted(client) -> dict[str, float]:
    return {kind: await metric_value(client, "yijian_reconciliation_differences_total", kind=kind) for kind in KINDS}


async def test_a_day_reconciles_settles_the_lost_payment_and_a_rerun_replaces_the_result(client, server):
    day = await clear_of_midnight()
    fine = [await paid_wechat_order(client, price) for price in (1500, 2300)]
    partly, wholly = await paid_wechat_order(client, 3000), await paid_wechat_order(client, 800)
    refunded = [await _refunded(client, partly, 1000), await _refunded(client, wholly, 800)]
    mismatched = await paid_wechat_order(client, 990)
    await Order.filter(id=mismatched["id"]).update(payable_fen=1090)  # test-only: our books say another amount
    counted_before = await _counted(client)

    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):  # every delivery of it is lost
        lost, paid = await _lost_payment(client)
        run = await reconcile(server.app.ctx.deps, day)
        first = await day_view(client, day)
        # Settled the normal way: the payment recorded, flagged paid_after_close and refunded in full.
        detail = await wait_for_status(client, lost["id"], "REFUNDED")

    assert run.status == "done" and first["run"]["status"] == "done" and first["run"]["last_error"] is None
    [(kind, missing)] = of_order(first, lost["out_trade_no"])
    assert kind == "missing_local"
    assert missing["remote"]["transaction_id"] == paid["transaction_id"]
    assert (missing["remote"]["amount_fen"], missing["remote"]["trade_state"]) == (1700, "SUCCESS")
    assert (missing["local"]["status"], missing["local"]["transaction_id"]) == ("CLOSED", None)
    assert missing["settlement"] == "paid_after_close" and missing["order_id"] == lost["id"]
    assert (missing["resolved"], missing["resolved_by"]) == (True, "reconciliation")  # nothing left to do
    assert detail["transaction_id"] == paid["transaction_id"] and [f["kind"] for f in detail["flags"]] == [
        "paid_after_close"]
    assert ("CLOSED", "REFUNDING", "paid_after_close") in [(t["from"], t["to"], t["cause"])
                                                            for t in detail["transitions"]]
    assert [(r["cause"], r["amount_fen"], r["status"]) for r in detail["refunds"]] == [
        ("paid_after_close", 1700, "SUCCESS")]

    [(kind, amount)] = of_order(first, mismatched["out_trade_no"])
    assert kind == "amount_mismatch" and amount["resolved"] is False
    assert amount["remote"]["amount_fen"] == 990
    assert (amount["local"]["payable_fen"], amount["local"]["payment_fen"]) == (1090, 990)
    for order in [*fine, partly, wholly]:  # paid, refunded in part, refunded in full: all as the bill says
        assert of_order(first, order["out_trade_no"]) == []
    assert not [d for d in first["differences"] if d["key"] in refunded]
    counted = await _counted(client)
    assert counted["missing_local"] >= counted_before["missing_local"] + 1
    assert counted["amount_mismatch"] >= counted_before["amount_mismatch"] + 1

    # An operator resolves the amount; the rerun finds it again and keeps that resolution.
    resolved = await client.post(f"/admin/v1/reconciliation/differences/{amount['id']}/resolve",
                                 json={"note": "测试改过金额，已核对"}, headers=await operator_headers(client))
    assert resolved.status_code == 200, resolved.text
    rerun = await reconcile(server.app.ctx.deps, day)
    second = await day_view(client, day)
    assert rerun.compared_at > run.compared_at
    assert of_order(second, lost["out_trade_no"]) == []  # recorded here now, and its refund is in the bill too
    [(kind, again)] = of_order(second, mismatched["out_trade_no"])
    assert (kind, again["id"], again["found_at"]) == ("amount_mismatch", amount["id"], amount["found_at"])
    assert (again["resolved"], again["note"], again["seen_at"] != amount["seen_at"]) == (True, "测试改过金额，已核对", True)
    keys = [(d["kind"], d["key"]) for d in second["differences"]]
    assert len(keys) == len(set(keys)) == second["run"]["counts"]["total"]
    assert await ReconciliationDifference.filter(run_id=rerun.id).count() == len(keys)
    assert await _counted(client) == counted  # found again is not found anew

    # Both sides' totals, each read another way: the bill by a plain csv reading, our books row by row.
    independent = await fetch_bill(client, server, day)
    assert independent.hash_value == rerun.bill_sha1
    assert second["run"]["remote"] == _bill_totals(independent.content)
    assert second["run"]["local"] == await _our_totals(day)


async def test_a_bill_with_a_wrong_hash_is_refused_and_the_jobs_retry_it_later(client, server):
    day = await clear_of_midnight()
    order = await paid_wechat_order(client, 1234)
    await Order.filter(id=order["id"]).update(payable_fen=1235)
    compared = await reconcile(server.app.ctx.deps, day)
    before = await day_view(client, day)

    async with sandbox_fault(client, "bill_bad_hash", apis=["tradebill"]):
        refused = await reconcile(server.app.ctx.deps, day)
    now = datetime.now(timezone.utc)
    assert refused.status == "failed" and refused.last_error.startswith("hash_mismatch"), refused.last_error
    assert 240 < (refused.next_attempt_at - now).total_seconds() <= 300  # the first step of the backoff
    assert (refused.compared_at, refused.bill_sha1) == (compared.compared_at, compared.bill_sha1)
    kept = await day_view(client, day)  # nothing compared: the day's last result stands
    assert kept["run"]["status"] == "failed" and kept["differences"] == before["differences"]
    assert of_order(kept, order["out_trade_no"])[0][0] == "amount_mismatch"

    # Five minutes on, the job engine's sweep takes the day up again.
    await ReconciliationRun.filter(id=refused.id).update(next_attempt_at=now - timedelta(seconds=1))

    async def done_again():
        run = await ReconciliationRun.get(id=refused.id)
        return run.status == "done" and run.compared_at > compared.compared_at and run

    retried = await wait_until(done_again, timeout_s=30)
    assert (retried.last_error, retried.failures, retried.next_attempt_at) == (None, 0, None)
    assert retried.attempts == refused.attempts + 1
    assert of_order(await day_view(client, day), order["out_trade_no"])[0][0] == "amount_mismatch"

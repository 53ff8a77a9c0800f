"""Operators' refunds (DESIGN.md §6): WeChat Pay through the sandbox and its notification; wallet at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from tortoise.expressions import F

from tests.factories import assert_error, operator_headers
from tests.jobs.helpers import now, wait_until
from tests.notify.helpers import admin_order, faults, sandbox_keys, sandbox_v3_get, wechat_order
from tests.refunds.helpers import paid_wallet_order, paid_wechat_order, refund, wait_refund


async def test_full_wechatpay_refund_finishes_on_the_refund_notification(client):
    order = await paid_wechat_order(client)
    response = await refund(client, order["id"], order["payable_fen"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "PROCESSING" and created["amount_fen"] == order["payable_fen"] and created["id"]
    detail = await wait_refund(client, order["id"], created["id"])
    assert detail["status"] == "REFUNDED" and detail["refunded_fen"] == order["payable_fen"]
    assert [(t["from"], t["to"], t["cause"]) for t in detail["transitions"]][-2:] == [
        ("PAID", "REFUNDING", "operator"), ("REFUNDING", "REFUNDED", "notification")]
    audit = (await client.get("/admin/v1/audit", params={"target_id": order["id"]},
                              headers=await operator_headers(client, "admin"))).json()["items"]
    assert audit[0]["action"] == "order.refund" and audit[0]["after"]["refund"]["id"] == created["id"]
    # WeChat Pay's side (the sandbox, asked as the merchant would): the same refund, succeeded, for the whole amount.
    state = await _at_wechat(client, created["out_refund_no"])
    assert state.status_code == 200, state.text
    assert state.json()["status"] == "SUCCESS" and state.json()["amount"]["refund"] == order["payable_fen"]
    assert state.json()["out_trade_no"] == order["out_trade_no"]


async def test_partial_wechatpay_refunds_until_the_amount_is_used_up(client):
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        first = (await refund(client, order["id"], 500)).json()
        # One WeChat Pay refund at a time: while REFUNDING the order takes no other.
        assert_error(await refund(client, order["id"], 100), 409, "ORDER_NOT_REFUNDABLE")
    detail = await wait_refund(client, order["id"], first["id"])
    assert detail["status"] == "PARTIALLY_REFUNDED" and detail["refunded_fen"] == 500, detail
    error = assert_error(await refund(client, order["id"], order["payable_fen"] - 499), 409, "REFUND_EXCEEDS_PAID")
    assert error["refundable_fen"] == order["payable_fen"] - 500
    rest = (await refund(client, order["id"], order["payable_fen"] - 500)).json()
    detail = await wait_refund(client, order["id"], rest["id"])
    assert detail["status"] == "REFUNDED"
    assert_error(await refund(client, order["id"], 1), 409, "ORDER_NOT_REFUNDABLE")


async def test_unpaid_order_is_not_refundable(client):
    made = await wechat_order(client)
    error = assert_error(await refund(client, made["order"]["id"], 100), 409, "ORDER_NOT_REFUNDABLE")
    assert error["status"] == "PAYING"
    assert_error(await refund(client, "ord_NOSUCHORDER", 100), 404, "NOT_FOUND")


async def test_refund_is_idempotent_per_key(client):
    order = await paid_wechat_order(client)
    key = uuid.uuid4().hex
    first = await refund(client, order["id"], 300, key=key)
    again = await refund(client, order["id"], 300, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert_error(await refund(client, order["id"], 400, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    response = await client.post(f"/admin/v1/orders/{order['id']}/refund", json={"amount_fen": 1},
                                 headers=await operator_headers(client))
    assert_error(response, 400, "IDEMPOTENCY_KEY_REQUIRED")
    await wait_refund(client, order["id"], first.json()["id"])
    assert len((await admin_order(client, order["id"]))["refunds"]) == 1


async def test_concurrent_requests_with_one_key_make_one_refund(client):
    order, _ = await paid_wallet_order(client)
    key = uuid.uuid4().hex
    answers = await asyncio.gather(*(refund(client, order["id"], 200, key=key) for _ in range(5)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len((await admin_order(client, order["id"]))["refunds"]) == 1


async def test_analyst_cannot_refund(client):
    order = await paid_wechat_order(client)
    assert_error(await refund(client, order["id"], 100, role="analyst"), 403, "FORBIDDEN")


async def test_wallet_refunds_credit_the_balance_at_once(client):
    order, who = await paid_wallet_order(client)
    before = (await client.get("/api/v1/wallet", headers=who["headers"])).json()["balance_fen"]
    partial = await refund(client, order["id"], 200)
    assert partial.status_code == 201 and partial.json()["status"] == "SUCCESS"
    assert (await admin_order(client, order["id"]))["status"] == "PARTIALLY_REFUNDED"
    rest = await refund(client, order["id"], order["payable_fen"] - 200)
    assert rest.status_code == 201 and rest.json()["status"] == "SUCCESS"
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "REFUNDED" and detail["refunded_fen"] == order["payable_fen"]
    assert [(t["from"], t["to"]) for t in detail["transitions"]][-2:] == [
        ("PAID", "PARTIALLY_REFUNDED"), ("PARTIALLY_REFUNDED", "REFUNDED")]
    after = (await client.get("/api/v1/wallet", headers=who["headers"])).json()["balance_fen"]
    assert after == before + order["payable_fen"]
    ledger = (await client.get("/api/v1/wallet/ledger", headers=who["headers"])).json()["items"]
    assert [(e["kind"], e["amount_fen"]) for e in ledger[:2]] == [
        ("refund", order["payable_fen"] - 200), ("refund", 200)]


async def test_concurrent_refunds_never_exceed_what_was_paid(client):
    order, who = await paid_wallet_order(client, price_fen=1000)
    answers = await asyncio.gather(*(refund(client, order["id"], 400) for _ in range(5)))
    created = [a for a in answers if a.status_code == 201]
    assert len(created) == 2, [a.text for a in answers]
    for answer in answers:
        if answer.status_code != 201:
            assert_error(answer, 409, "REFUND_EXCEEDS_PAID")
    detail = await admin_order(client, order["id"])
    assert detail["refunded_fen"] == 800 and detail["status"] == "PARTIALLY_REFUNDED"


async def test_provider_failure_leaves_the_refund_processing_until_retried(client):
    order = await paid_wechat_order(client)
    key = uuid.uuid4().hex
    async with faults(client, {"kind": "api_error", "rate": 1, "apis": ["refund"]}):
        error = assert_error(await refund(client, order["id"], order["payable_fen"], key=key), 503,
                             "PAYMENT_PROVIDER_UNAVAILABLE")
    assert error["refund_status"] == "PROCESSING" and error["retryable"] is True
    assert (await admin_order(client, order["id"]))["status"] == "REFUNDING"
    retried = await refund(client, order["id"], order["payable_fen"], key=key)
    assert retried.status_code == 201 and retried.json()["id"] == error["refund_id"]
    assert (await wait_refund(client, order["id"], error["refund_id"]))["status"] == "REFUNDED"


async def test_lost_refund_notification_is_recovered_by_query(client, server):
    from app.refunds import service
    from app.refunds.models import Refund

    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        created = (await refund(client, order["id"], order["payable_fen"])).json()
        for _ in range(100):
            await service.query_and_finish(server.app.ctx.deps.payments, await Refund.get(id=created["id"]))
            refreshed = await Refund.get(id=created["id"])
            if refreshed.status != "PROCESSING":
                break
            await asyncio.sleep(0.02)
        assert refreshed.status == "SUCCESS" and refreshed.provider_refund_id
        detail = await admin_order(client, order["id"])
        assert detail["status"] == "REFUNDED" and detail["transitions"][-1]["cause"] == "refund_query"


async def test_unconfirmed_refund_is_submitted_again_from_the_outbox(client, server):
    from app.jobs.outbox import CLAIM_S
    from app.jobs.models import OutboxEvent
    from app.refunds import service
    from app.refunds.models import Refund

    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "api_error", "rate": 1, "apis": ["refund"]}):
        error = assert_error(await refund(client, order["id"], 300), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
        [event] = [e for e in await OutboxEvent.filter(kind="refund.submit")
                   if e.payload["refund_id"] == error["refund_id"]]
        # This test is the worker: it claims the event as the engine does (once the engine, failing against the
        # fault, has let go of it), and the refund jobs are kept away, so only the handler below can submit it.
        await wait_until(lambda: _claim(event, CLAIM_S))
        await Refund.filter(id=error["refund_id"]).update(next_query_at=now() + timedelta(hours=1))
    unconfirmed = await Refund.get(id=error["refund_id"])
    assert unconfirmed.status == "PROCESSING" and unconfirmed.provider_refund_id is None
    assert (await _at_wechat(client, unconfirmed.out_refund_no)).status_code == 404  # WeChat Pay never took it
    assert await service.handle_outbox(server.app.ctx.deps, event.kind, event.payload)
    assert (await Refund.get(id=error["refund_id"])).provider_refund_id  # WeChat Pay confirmed it
    state = await _at_wechat(client, unconfirmed.out_refund_no)
    assert state.status_code == 200 and state.json()["amount"]["refund"] == 300, state.text
    assert (await wait_refund(client, order["id"], error["refund_id"]))["status"] == "PARTIALLY_REFUNDED"


async def _at_wechat(client, out_refund_no: str):
    """The refund as WeChat Pay (the sandbox) knows it: GET /v3/refund/domestic/refunds/{out_refund_no}, signed."""
    return await sandbox_v3_get(client, await sandbox_keys(client), f"/v3/refund/domestic/refunds/{out_refund_no}")


async def _claim(event, claim_s: int) -> bool:
    """The outbox engine's own claim (app/jobs/outbox.py): free lease, same attempts."""
    from app.jobs.models import OutboxEvent

    return bool(await OutboxEvent.filter(id=event.id, done_at=None, claimed_until=None).update(
        attempts=F("attempts") + 1, claimed_until=now() + timedelta(seconds=claim_s)))

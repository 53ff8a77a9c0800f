"""Refunds that WeChat Pay's notification does not finish: the refund jobs ask (app/refunds/jobs.py), and a
refund notification whose facts differ from the refund changes nothing (app/refunds/service.finish)."""

from __future__ import annotations

from datetime import timedelta

from app.jobs.models import OutboxEvent
from app.jobs.outbox import MAX_ATTEMPTS
from app.refunds.models import Refund
from app.refunds.schedule import QUERY_SCHEDULE_S
from tests.factories import assert_error
from tests.jobs.helpers import now, wait_until
from tests.notify.helpers import (
    admin_order, faults, notifications_log, notify, refund_resource, sandbox_keys, seal, sign,
)
from tests.refunds.helpers import paid_wechat_order, refund

REFUND_NOTIFY = "/notify/wechatpay/refund"


async def _due(refund_id: str) -> None:
    """Bring the refund's next query into the past, as if its time had come (the session's engine runs it)."""
    await Refund.filter(id=refund_id, status="PROCESSING").update(next_query_at=now() - timedelta(seconds=1))


async def _park(refund_id: str) -> None:
    """Keep the session's engine away from the refund while the test speaks for WeChat Pay."""
    await Refund.filter(id=refund_id).update(next_query_at=now() + timedelta(hours=1))


async def _finished(refund_id: str) -> bool:
    """Make the refund due again until it succeeded (a query answering PROCESSING moves it to a later slot)."""
    if (await Refund.get(id=refund_id)).status == "SUCCESS":
        return True
    await _due(refund_id)
    return False


async def test_refund_whose_notification_is_lost_is_finished_by_a_query(client):
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        created = (await refund(client, order["id"], order["payable_fen"])).json()
        row = await Refund.get(id=created["id"])
        first_slot = timedelta(seconds=QUERY_SCHEDULE_S[0])
        assert abs(row.next_query_at - row.created_at - first_slot) < timedelta(seconds=1)
        await wait_until(lambda: _finished(created["id"]), timeout_s=15)
    assert (await Refund.get(id=created["id"])).provider_refund_id
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "REFUNDED" and detail["refunded_fen"] == order["payable_fen"]
    assert detail["transitions"][-1]["cause"] == "refund_query"


async def test_refund_wechat_pay_never_confirmed_is_submitted_again_by_the_jobs(client):
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "api_error", "rate": 1, "apis": ["refund"]}):
        error = assert_error(await refund(client, order["id"], 300), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
        # The outbox gives up (as after its last attempt), so only the refund jobs can still submit it.
        await OutboxEvent.filter(kind="refund.submit", done_at=None).update(attempts=MAX_ATTEMPTS)
        await _due(error["refund_id"])
        # While WeChat Pay keeps failing, the job moves the refund to its next slot and tries again later.
        await wait_until(lambda: _attempted(error["refund_id"]))
        assert (await Refund.get(id=error["refund_id"])).provider_refund_id is None
    await wait_until(lambda: _finished(error["refund_id"]), timeout_s=15)
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PARTIALLY_REFUNDED" and detail["refunded_fen"] == 300


async def _attempted(refund_id: str) -> bool:
    row = await Refund.get(id=refund_id)
    return row.query_attempts >= 1 and row.next_query_at > now()


async def _send(client, keys: dict, resource: dict, event_type: str = "REFUND.SUCCESS"):
    body = seal(keys, resource, event_type=event_type, original_type="refund")
    return await notify(client, body, sign(keys, body), path=REFUND_NOTIFY)


async def test_refund_notification_with_another_amount_or_order_is_flagged_and_not_applied(client):
    keys = await sandbox_keys(client)
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        created = (await refund(client, order["id"], 500)).json()
        await _park(created["id"])
        row = await Refund.get(id=created["id"])
        wrong_amount = refund_resource(keys, order, row, amount={"total": order["payable_fen"], "refund": 501,
                                                                  "payer_total": 1, "payer_refund": 501})
        wrong_order = refund_resource(keys, order, row, out_trade_no="YJ" + "0" * 26)
        for resource in (wrong_amount, wrong_order):
            answer = await _send(client, keys, resource)
            assert answer.status_code == 204, answer.text  # acknowledged (DESIGN §4: flagged is 204): a retry would not help
        assert (await Refund.get(id=created["id"])).status == "PROCESSING"
        detail = await admin_order(client, order["id"])
        assert detail["status"] == "REFUNDING" and detail["refunded_fen"] == 500
        assert [f["kind"] for f in detail["flags"]] == ["refund_mismatch"]
        verdicts = [e["verdict"] for e in await notifications_log(client, verdict="flagged")
                    if e["event_type"] == "REFUND.SUCCESS"]
        assert len(verdicts) >= 2
        # The true notification still finishes it.
        assert (await _send(client, keys, refund_resource(keys, order, row))).status_code == 204
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PARTIALLY_REFUNDED" and detail["transitions"][-1]["cause"] == "notification"


async def test_abnormal_refund_is_flagged_and_still_followed(client):
    keys = await sandbox_keys(client)
    order = await paid_wechat_order(client)
    async with faults(client, {"kind": "notify_drop", "rate": 1, "apis": ["refund_notify"]}):
        created = (await refund(client, order["id"], order["payable_fen"])).json()
        await _park(created["id"])
        row = await Refund.get(id=created["id"])
        answer = await _send(client, keys, refund_resource(keys, order, row, refund_status="ABNORMAL"),
                             event_type="REFUND.ABNORMAL")
        assert answer.status_code == 204, answer.text  # flagged and acknowledged (DESIGN §4)
        assert (await Refund.get(id=created["id"])).status == "PROCESSING"
        assert [f["kind"] for f in (await admin_order(client, order["id"]))["flags"]] == ["refund_abnormal"]
        # WeChat Pay settles it later (here: the sandbox's own refund succeeds); the jobs keep asking.
        await wait_until(lambda: _finished(created["id"]), timeout_s=15)
    assert (await admin_order(client, order["id"]))["status"] == "REFUNDED"

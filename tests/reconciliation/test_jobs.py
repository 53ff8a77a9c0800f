"""The daily job (after 10:00 Asia/Shanghai, the previous day, through the session's job engine), the command
line, and what /metrics says of reconciliation."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from app.orders.models import Order
from app.reconciliation import jobs
from app.reconciliation.models import ReconciliationRun
from tests.jobs.helpers import wait_until
from tests.reconciliation.helpers import CHINA, clear_of_midnight, day_view, metric_value, of_order
from tests.refunds.helpers import paid_wechat_order

ROOT = Path(__file__).resolve().parents[2]


def test_a_days_bill_is_due_at_ten_the_next_morning_in_shanghai():
    day = datetime(2026, 3, 14).date()
    ten = jobs.due_at(day)
    assert ten == datetime.combine(day + timedelta(days=1), time(10), CHINA)
    assert ten.tzinfo == timezone.utc
    assert jobs.latest_due_day(ten - timedelta(seconds=1)) == day - timedelta(days=1)
    assert jobs.latest_due_day(ten) == day
    assert jobs.latest_due_day(ten + timedelta(hours=13, minutes=59)) == day  # 23:59 the next day
    assert jobs.latest_due_day(ten + timedelta(hours=14)) == day  # midnight: the new yesterday is not due yet


async def test_after_ten_the_engine_reconciles_the_previous_day_by_itself(client):
    # A day of its own, weeks ago (the sandbox still keeps its bill, and saw no trade on it).
    day = (await clear_of_midnight()) - timedelta(days=20 + secrets.randbelow(50))
    await ReconciliationRun.filter(bill_date=day).delete()
    await jobs.ensure_scheduled(jobs.due_at(day) - timedelta(seconds=1))  # 09:59:59: that day is not due yet
    assert not await ReconciliationRun.exists(bill_date=day)
    await jobs.ensure_scheduled(jobs.due_at(day) + timedelta(seconds=1))  # 10:00:01 the next morning
    run = await ReconciliationRun.get(bill_date=day)
    assert (run.status, run.next_attempt_at) == ("pending", jobs.due_at(day))

    async def reconciled():
        found = await ReconciliationRun.get(bill_date=day)
        return found.status == "done" and found

    done = await wait_until(reconciled, timeout_s=30)  # the sweep claimed it: it has been due since 10:00
    assert (done.api, done.remote_payments, done.remote_refunds, done.next_attempt_at) == ("wechatpay_v3", 0, 0, None)
    assert done.bill_sha1 is None  # no bill that day (NO_STATEMENT_EXIST): an empty one was compared


async def test_the_command_reconciles_a_day_by_hand(client, server):
    day = await clear_of_midnight()
    order = await paid_wechat_order(client, 3700)
    await Order.filter(id=order["id"]).update(payable_fen=3701)
    environ = {**os.environ, "YIJIAN_DATA_DIR": str(server.settings.data_dir),
               "YIJIAN_DATABASE_URL": server.settings.database_url,
               "YIJIAN_WECHAT_BASE_URL": server.settings.wechat_base_url, "YIJIAN_PUBLIC_BASE_URL": server.base_url}

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app", "reconcile", *args], env=environ, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    done = await asyncio.to_thread(command, "--date", "today")
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.splitlines()
    assert first == f"reconciliation {day.isoformat()}: done"
    assert rest[0].startswith("  WeChat Pay: ") and "amount_mismatch" in rest[2]
    assert of_order(await day_view(client, day), order["out_trade_no"])[0][0] == "amount_mismatch"
    for wrong in ("2026-13-01", "tomorrow", (day + timedelta(days=1)).isoformat()):
        refused = await asyncio.to_thread(command, "--date", wrong)
        assert refused.returncode == 2 and "--date" in refused.stderr, (wrong, refused.stderr)


async def test_metrics_say_how_late_the_latest_day_is(client):
    day = jobs.latest_due_day(datetime.now(timezone.utc))

    async def reconciled():  # the session's engine reconciled it when it started (or does it now)
        found = await ReconciliationRun.get_or_none(bill_date=day)
        return found is not None and found.compared_at is not None and found

    run = await wait_until(reconciled, timeout_s=30)
    assert await metric_value(client, "yijian_reconciliation_lag_seconds") == 0
    await ReconciliationRun.filter(id=run.id).update(compared_at=None)  # as if it had never finished
    try:
        late = await metric_value(client, "yijian_reconciliation_lag_seconds")
        expected = (datetime.now(timezone.utc) - jobs.due_at(day)).total_seconds()
        assert expected - 5 < late <= expected
    finally:
        await ReconciliationRun.filter(id=run.id).update(compared_at=run.compared_at)
    for kind in ("missing_local", "missing_remote", "amount_mismatch", "refund_mismatch"):
        assert await metric_value(client, "yijian_reconciliation_differences_total", kind=kind) >= 0
    # Its runs are due work like orders and refunds: a due run not claimed would show here (the jobs stopped).
    assert await metric_value(client, "yijian_jobs_lag_seconds", queue="reconciliation") < 120

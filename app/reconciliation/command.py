"""`python -m app reconcile --date YYYY-MM-DD|today|yesterday`: one day's reconciliation by hand, now."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, timedelta

from app.core import cache, db
from app.core.clock import now_utc
from app.core.settings import Settings
from app.deps import Deps
from app.reconciliation import repository, service
from app.reconciliation.models import DONE, ReconciliationRun


class CommandError(Exception):
    """Wrong input: said on stderr, exit status 2."""


def parse_day(text: str) -> date:
    """A day (Asia/Shanghai): `YYYY-MM-DD`, `today` (the sandbox serves today's bill so far) or `yesterday`."""
    today = service.china_today(now_utc())
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text in named:
        return named[text]
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise CommandError(f"--date {text!r}: expected YYYY-MM-DD, today or yesterday")
    if day > today:
        raise CommandError(f"--date {text}: a day still to come (Asia/Shanghai) has no bill")
    return day


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}" if fen >= 0 else "-" + _yuan(-fen)


def summary(run: ReconciliationRun, counts: list[tuple[str, bool]]) -> str:
    """What the run found, in one paragraph for the terminal."""
    lines = [f"reconciliation {run.bill_date.isoformat()}: {run.status}"
             + (f" ({run.last_error})" if run.last_error else "")]
    if run.compared_at is not None:
        lines.append(f"  WeChat Pay: {run.remote_payments} payments {_yuan(run.remote_paid_fen)}, "
                     f"{run.remote_refunds} refunds {_yuan(run.remote_refunded_fen)}")
        lines.append(f"  our books:  {run.local_payments} payments {_yuan(run.local_paid_fen)}, "
                     f"{run.local_refunds} refunds {_yuan(run.local_refunded_fen)}")
        kinds: dict[str, list[int]] = {}
        for kind, resolved in counts:
            kinds.setdefault(kind, [0, 0])[resolved] += 1
        found = ", ".join(f"{kind} {total[0] + total[1]} ({total[0]} open)" for kind, total in sorted(kinds.items()))
        lines.append(f"  differences: {found or 'none'}")
    if run.next_attempt_at is not None and run.status != "running":
        lines.append(f"  the jobs try again at {run.next_attempt_at.isoformat()}")
    return "\n".join(lines)


def sandbox_reachable(settings: Settings) -> Settings:
    """In sandbox mode the bill comes from the server's mounted sandbox (its ledger lives in that process) unless
    YIJIAN_WECHAT_BASE_URL names a separate one: `YIJIAN_PUBLIC_BASE_URL` (default http://127.0.0.1:8000)."""
    if settings.sandbox and settings.wechat_base_url is None:
        return replace(settings, wechat_base_url=settings.public_base_url.rstrip("/") + "/sandbox/wechat")
    return settings


async def run(settings: Settings, day: date) -> int:
    """Reconcile `day` with a database, Redis and WeChat Pay providers of this process's own (as a worker process
    has them); the exit status."""
    await db.migrate(settings.database_url)
    await db.init_db(settings.database_url)
    deps = Deps.build(settings, cache.connect(settings.redis_url))
    try:
        run_row = await service.reconcile_now(deps, day)
        print(summary(run_row, await repository.difference_counts(run_row.id)))
        return 0 if run_row.status == DONE and run_row.last_error is None else 1
    except service.ReconciliationBusy:
        print(f"yijian: a reconciliation of {day.isoformat()} is running now; try again when it ends",
              file=sys.stderr)
        return 1
    finally:
        await deps.close()
        await db.close_db()

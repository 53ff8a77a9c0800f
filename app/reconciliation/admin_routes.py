"""Operators' reconciliation API (DESIGN §8): a day's run and differences (analysts read), resolving (operators)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Optional

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.clock import now_utc
from app.core.errors import ValidationFailed
from app.core.http import ID, body, json, json_doc, page, page_params
from app.core.serialize import view
from app.operators.guard import MANAGE, READ, operator_required
from app.reconciliation import service
from app.reconciliation.models import KINDS
from app.reconciliation.schemas import DifferenceOut, ReconciliationDayOut, ResolveIn, difference_out, run_out

bp = Blueprint("reconciliation_admin", url_prefix="/admin/v1")

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATES = {"open": False, "resolved": True}


def _day(raw: Optional[str]) -> date:
    """`?date=YYYY-MM-DD`, an Asia/Shanghai calendar day; absent: yesterday, the day the job reconciles."""
    if not raw:
        return service.china_today(now_utc()) - timedelta(days=1)
    try:
        if _DAY.match(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValidationFailed.one("date", "must be a day as YYYY-MM-DD")


def _one_of(request: Request, name: str, allowed) -> Optional[str]:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise ValidationFailed.one(name, f"must be one of {', '.join(allowed)}")
    return value


@bp.get("/reconciliation")
@openapi.summary("A day's reconciliation against WeChat Pay's trade bill: the run and its differences")
@openapi.parameter("date", str, description="YYYY-MM-DD (Asia/Shanghai); default yesterday")
@openapi.parameter("kind", str, description=" | ".join(KINDS))
@openapi.parameter("status", str, description="open | resolved")
@openapi.parameter("limit", int, description="differences per page, 1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(ReconciliationDayOut))
@operator_required(*READ)
async def get_day(request: Request):
    day = _day(request.args.get("date"))
    kind = _one_of(request, "kind", KINDS)
    state = _one_of(request, "status", tuple(STATES))
    limit, cursor = page_params(request)
    found = await service.day_view(day, limit, cursor, kind=kind, resolved=STATES[state] if state else None)
    differences = page(found.differences, limit, lambda difference: difference.id)
    return json(view(ReconciliationDayOut, {
        "date": day, "run": run_out(found.run, found.counts) if found.run is not None else None,
        "differences": {"items": [difference_out(d) for d in differences["items"]],
                        "next_cursor": differences["next_cursor"]}}))


@bp.post(f"/reconciliation/differences/<difference_id:{ID}>/resolve")
@openapi.summary("Mark a difference resolved with a note (audit-logged); resolving twice is refused")
@openapi.response(200, json_doc(DifferenceOut))
@operator_required(*MANAGE)
@body(ResolveIn)
async def resolve(request: Request, difference_id: str, body: ResolveIn):
    return json(difference_out(await service.resolve(request.ctx.operator.id, difference_id, body.note)))

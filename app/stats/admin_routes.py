"""Operators' statistics API (DESIGN §6.1): summary and daily reports, as JSON or CSV; every operator role reads."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic_ext import openapi

from app.core.errors import ValidationFailed
from app.core.http import json, json_doc
from app.core.serialize import view
from app.operators.guard import READ, operator_required
from app.stats import export, service
from app.stats.schemas import StatsDailyOut, StatsSummaryOut

bp = Blueprint("stats_admin", url_prefix="/admin/v1/stats")

CSV = "text/csv"
FORMATS = ("json", "csv")


def _wants_csv(request: Request) -> bool:
    """`?format=csv`, or no `format` and an Accept header that names text/csv."""
    chosen = request.args.get("format")
    if chosen is not None:
        if chosen not in FORMATS:
            raise ValidationFailed.one("format", "must be json or csv")
        return chosen == "csv"
    accepted = [part.split(";", 1)[0].strip().lower() for part in request.headers.get("accept", "").split(",")]
    return CSV in accepted


def _csv(text: str, name: str, days: service.DayRange) -> HTTPResponse:
    filename = f"yijian-stats-{name}-{days.first.isoformat()}-{days.last.isoformat()}.csv"
    return HTTPResponse(text.encode("utf-8"), content_type=f"{CSV}; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _documented(summary: str):
    def decorate(handler):
        for decorator in (
            openapi.summary(summary),
            openapi.parameter("from", str, description="YYYY-MM-DD (Asia/Shanghai), inclusive; default six days "
                                                       "before `to`; at most 366 days"),
            openapi.parameter("to", str, description="YYYY-MM-DD (Asia/Shanghai), inclusive; default today"),
            openapi.parameter("format", str, description="json (default) | csv; `Accept: text/csv` works too"),
        ):
            handler = decorator(handler)
        return handler
    return decorate


@bp.get("/summary")
@_documented("Payment statistics over a range of days: totals, conversion, by method, notification latency")
@openapi.response(200, {**json_doc(StatsSummaryOut), CSV: str})
@operator_required(*READ)
async def summary(request: Request):
    days = service.day_range(request.args.get("from"), request.args.get("to"))
    wants_csv = _wants_csv(request)
    report = await service.summary(days)
    return _csv(export.summary_csv(report), "summary", days) if wants_csv else json(view(StatsSummaryOut, report))


@bp.get("/daily")
@_documented("Payment statistics per day, every day of the range (days without activity with zeros)")
@openapi.response(200, {**json_doc(StatsDailyOut), CSV: str})
@operator_required(*READ)
async def daily(request: Request):
    days = service.day_range(request.args.get("from"), request.args.get("to"))
    wants_csv = _wants_csv(request)
    report = await service.daily(days)
    return _csv(export.daily_csv(report), "daily", days) if wants_csv else json(view(StatsDailyOut, report))

"""Operators' risk events API (DESIGN.md §7): every role reads them."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.errors import ValidationFailed
from app.core.http import json, json_doc, page, page_params
from app.core.serialize import view
from app.operators.guard import READ, operator_required
from app.risk import events
from app.risk.models import KINDS
from app.risk.schemas import RiskEventPage

bp = Blueprint("risk_admin", url_prefix="/admin/v1/risk")


@bp.get("/events")
@openapi.summary("Risk events, newest first: one per kind, subject and 10 minutes, with a count")
@openapi.parameter("kind", str, description=" | ".join(KINDS))
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(RiskEventPage))
@operator_required(*READ)
async def list_events(request: Request):
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ValidationFailed.one("kind", f"must be one of {', '.join(KINDS)}")
    limit, cursor = page_params(request)
    rows = await events.list_events(limit, cursor, kind=kind)
    return json(view(RiskEventPage, page(rows, limit, lambda event: event.id)))

"""Operators' view of the WeChat Pay notifications received (DESIGN.md §6): open to analysts."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import json, json_doc, page, page_params
from app.core.serialize import view
from app.notify import service
from app.notify.schemas import NotificationOut, NotificationPage
from app.operators.guard import READ, operator_required

bp = Blueprint("notify_admin", url_prefix="/admin/v1")


@bp.get("/notifications")
@openapi.summary("WeChat Pay notifications received, newest first (?out_trade_no=, ?verdict=)")
@openapi.operation("get~orders_admin.list_notifications")  # its operationId from before it moved here, for clients
@openapi.response(200, json_doc(NotificationPage))
@operator_required(*READ)
async def list_notifications(request: Request):
    limit, cursor = page_params(request)
    rows = await service.list_log(limit, cursor, out_trade_no=request.args.get("out_trade_no") or None,
                                  verdict=request.args.get("verdict") or None)
    result = page(rows, limit, lambda entry: entry.id)
    items = [view(NotificationOut, entry, answer={"status": entry.answer_status, "body": entry.answer_body})
             for entry in result["items"]]
    return json({"items": items, "next_cursor": result["next_cursor"]})

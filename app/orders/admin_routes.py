"""Operators' view of orders and notifications (DESIGN.md §6 "Orders"): every GET is open to analysts."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.errors import ValidationFailed
from app.core.http import ID, json, page, page_params
from app.notify import service as notify
from app.operators.guard import READ, operator_required
from app.orders import service

bp = Blueprint("orders_admin", url_prefix="/admin/v1")


def _flagged(request: Request) -> bool | None:
    raw = request.args.get("flagged")
    if raw in (None, ""):
        return None
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ValidationFailed.one("flagged", "must be true or false")
    return raw.lower() in ("true", "1")


@bp.get("/orders")
@openapi.summary("Orders, newest first (?status=, ?flagged=true|false)")
@operator_required(*READ)
async def list_orders(request: Request):
    limit, cursor = page_params(request)
    rows = await service.admin_list(limit, cursor, status=request.args.get("status") or None,
                                    flagged=_flagged(request))
    return json(page(rows, limit, lambda order: order["id"]))


@bp.get(f"/orders/<order_id:{ID}>")
@openapi.summary("One order with its transitions, flags, payments and refunds")
@operator_required(*READ)
async def get_order(request: Request, order_id: str):
    return json(await service.admin_detail(order_id))


@bp.get("/notifications")
@openapi.summary("WeChat Pay notifications received, newest first (?out_trade_no=, ?verdict=)")
@operator_required(*READ)
async def list_notifications(request: Request):
    limit, cursor = page_params(request)
    rows = await notify.list_log(limit, cursor, out_trade_no=request.args.get("out_trade_no") or None,
                                 verdict=request.args.get("verdict") or None)
    result = page(rows, limit, lambda entry: entry.id)
    return json({"items": [notify.log_view(e) for e in result["items"]], "next_cursor": result["next_cursor"]})

"""The console's views of orders (DESIGN.md §6 "Orders"), composed here from orders and refunds, which import
neither each other nor this package: every GET is open to analysts."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.admin import orders
from app.admin.schemas import AdminOrderDetailOut, AdminOrderPage
from app.core.errors import ValidationFailed
from app.core.http import ID, json, json_doc, page, page_params
from app.operators.guard import READ, operator_required

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
@openapi.response(200, json_doc(AdminOrderPage))
@operator_required(*READ)
async def list_orders(request: Request):
    limit, cursor = page_params(request)
    rows = await orders.order_list(limit, cursor, status=request.args.get("status") or None, flagged=_flagged(request))
    return json(page(rows, limit, lambda order: order["id"]))


@bp.get(f"/orders/<order_id:{ID}>")
@openapi.summary("One order with its transitions, flags, payments and refunds")
@openapi.response(200, json_doc(AdminOrderDetailOut))
@operator_required(*READ)
async def get_order(request: Request, order_id: str):
    return json(await orders.order_detail(order_id))

"""HTTP routes of a user's orders (DESIGN.md §3 "Orders")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import ID, body, json, json_doc, no_content, page, page_params
from app.core.serialize import view
from app.orders import jobs as order_jobs, service
from app.orders.schemas import OrderEventBody, OrderOut, OrderPage

bp = Blueprint("orders", url_prefix="/api/v1/orders")


@bp.get("")
@openapi.summary("My orders, newest first")
@openapi.response(200, json_doc(OrderPage))
@login_required
async def list_orders(request: Request):
    limit, cursor = page_params(request)
    rows = await service.list_own(request.ctx.user_id, limit, cursor)
    return json(view(OrderPage, page(rows, limit, lambda order: order.id)))


@bp.get(f"/<order_id:{ID}>")
@openapi.summary("One of my orders")
@openapi.response(200, json_doc(OrderOut))
@login_required
async def get_order(request: Request, order_id: str):
    order = await service.get_own(request.ctx.user_id, order_id)
    # PAYING for a few seconds: ask WeChat Pay first, so a lost notification does not keep the client waiting.
    order = await order_jobs.query_on_read(request.app.ctx.deps, order)
    return json(view(OrderOut, order))


@bp.post(f"/<order_id:{ID}>/cancel")
@openapi.summary("Cancel an unpaid order")
@openapi.response(200, json_doc(OrderOut))
@login_required
async def cancel_order(request: Request, order_id: str):
    order = await service.cancel(request.app.ctx.deps, request.ctx.user_id, order_id)
    return json(view(OrderOut, order))


@bp.post(f"/<order_id:{ID}>/events")
@openapi.summary("Report what the user did at WeChat's cashier (payment_cancelled)")
@openapi.response(204, None)
@login_required
@body(OrderEventBody)
async def report_event(request: Request, order_id: str, body: OrderEventBody):
    await service.report_event(request.ctx.user_id, order_id, body.event)
    return no_content()

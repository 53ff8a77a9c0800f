"""HTTP routes of operators: login, accounts and the audit log (DESIGN.md §6)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import body, json, json_doc, page, page_params
from app.core.serialize import view
from app.operators import audit, service
from app.operators.guard import ADMIN_ONLY, READ, operator_required
from app.operators.schemas import AuditPage, LoginBody, LoginOut, OperatorIn, OperatorList, OperatorOut

bp = Blueprint("operators", url_prefix="/admin/v1")


@bp.post("/auth/login")
@openapi.summary("Operator login with username and password")
@openapi.response(200, json_doc(LoginOut))
@body(LoginBody)
async def login(request: Request, body: LoginBody):
    # The peer's address, or the client's as a trusted proxy reports it (Sanic's PROXIES_COUNT, REAL_IP_HEADER).
    source = request.remote_addr or request.ip
    token = await service.login(request.app.ctx.deps, body.username, body.password, source)
    return json(view(LoginOut, token))


@bp.get("/operators")
@openapi.summary("Every operator account (admin only)")
@openapi.response(200, json_doc(OperatorList))
@operator_required(*ADMIN_ONLY)
async def list_operators(request: Request):
    return json(view(OperatorList, {"items": await service.list_operators(), "next_cursor": None}))


@bp.post("/operators")
@openapi.summary("Create an operator account (admin only)")
@openapi.response(201, json_doc(OperatorOut))
@operator_required(*ADMIN_ONLY)
@body(OperatorIn)
async def create_operator(request: Request, body: OperatorIn):
    operator = await service.create_operator(body.username, body.password, body.role,
                                             by_operator_id=request.ctx.operator.id)
    return json(view(OperatorOut, operator), status=201)


@bp.get("/audit")
@openapi.summary("The audit log, newest first")
@openapi.parameter("action", str, description="e.g. product.create")
@openapi.parameter("target_id", str)
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(AuditPage))
@operator_required(*READ)
async def list_audit(request: Request):
    limit, before_id = page_params(request)
    entries = await audit.list_entries(limit, before_id, action=request.args.get("action"),
                                       target_id=request.args.get("target_id"))
    return json(page(entries, limit, lambda entry: entry["id"]))

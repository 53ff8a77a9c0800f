"""Operators' help entries API (DESIGN.md §7): every role reads, operators and admins edit (audit-logged)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import ID, body, json, json_doc, no_content
from app.core.serialize import view
from app.help import service
from app.help.schemas import HelpAdminList, HelpAdminOut, HelpIn, HelpPatch
from app.operators.guard import MANAGE, READ, operator_required

bp = Blueprint("help_admin", url_prefix="/admin/v1/help")


@bp.get("")
@openapi.summary("Help entries, by code (optionally one code)")
@openapi.parameter("code", str, description="an error code")
@openapi.response(200, json_doc(HelpAdminList))
@operator_required(*READ)
async def list_help(request: Request):
    return json(view(HelpAdminList, {"items": await service.entries(request.args.get("code") or None)}))


@bp.get(f"/<entry_id:{ID}>")
@openapi.summary("One help entry")
@openapi.response(200, json_doc(HelpAdminOut))
@operator_required(*READ)
async def get_help(request: Request, entry_id: str):
    return json(view(HelpAdminOut, await service.get(entry_id)))


@bp.post("")
@openapi.summary("Add a help entry for an error code (audit-logged)")
@openapi.response(201, json_doc(HelpAdminOut))
@operator_required(*MANAGE)
@body(HelpIn)
async def create_help(request: Request, body: HelpIn):
    entry = await service.create(request.app.ctx.help_index, request.ctx.operator.id, body)
    return json(view(HelpAdminOut, entry), status=201)


@bp.patch(f"/<entry_id:{ID}>")
@openapi.summary("Edit a help entry (audit-logged)")
@openapi.response(200, json_doc(HelpAdminOut))
@operator_required(*MANAGE)
@body(HelpPatch)
async def patch_help(request: Request, entry_id: str, body: HelpPatch):
    entry = await service.update(request.app.ctx.help_index, request.ctx.operator.id, entry_id, body)
    return json(view(HelpAdminOut, entry))


@bp.delete(f"/<entry_id:{ID}>")
@openapi.summary("Delete a help entry (audit-logged)")
@openapi.response(204, None)
@operator_required(*MANAGE)
async def delete_help(request: Request, entry_id: str):
    await service.delete(request.app.ctx.help_index, request.ctx.operator.id, entry_id)
    return no_content()

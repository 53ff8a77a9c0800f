"""Shoppers' help (DESIGN.md §7): what an error code means and what to do, no login needed (an error may be
that the login failed)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import json, json_doc
from app.core.serialize import view
from app.help import service
from app.help.schemas import HelpList

bp = Blueprint("help", url_prefix="/api/v1/help")


@bp.get("")
@openapi.summary("Help entries for an error code (all entries without `code`)")
@openapi.parameter("code", str, description="an error code, e.g. PAYMENT_INSUFFICIENT_BALANCE")
@openapi.response(200, json_doc(HelpList))
async def list_help(request: Request):
    return json(view(HelpList, {"items": await service.entries(request.args.get("code") or None)}))

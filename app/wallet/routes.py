"""HTTP routes of the wallet (DESIGN.md §3, "Catalog, wallet")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import json
from app.wallet import service

bp = Blueprint("wallet", url_prefix="/api/v1/wallet")


@bp.get("")
@openapi.summary("Wallet balance and PIN state")
@login_required
async def get_wallet(request: Request):
    return json((await service.view(request.ctx.user_id)).to_dict())

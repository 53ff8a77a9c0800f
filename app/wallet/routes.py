"""HTTP routes of the wallet (DESIGN.md §3, "Catalog, wallet")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import body, json, json_doc, no_content, page, page_params
from app.core.serialize import view
from app.wallet import service
from app.wallet.schemas import LedgerPage, SetPinBody, WalletOut, WalletPatch

bp = Blueprint("wallet", url_prefix="/api/v1/wallet")


@bp.get("")
@openapi.summary("Wallet balance and PIN state")
@openapi.response(200, json_doc(WalletOut))
@login_required
async def get_wallet(request: Request):
    return json((await service.view(request.ctx.user_id)).model_dump())


@bp.patch("")
@openapi.summary("Set the password-free limit (needs the PIN)")
@openapi.response(200, json_doc(WalletOut))
@login_required
@body(WalletPatch)
async def patch_wallet(request: Request, body: WalletPatch):
    wallet = await service.set_pin_free_limit(request.ctx.user_id, body.pin_free_limit_fen, body.pin)
    return json(wallet.model_dump())


@bp.put("/pin")
@openapi.summary("Set or change the wallet PIN")
@openapi.response(204, None)
@login_required
@body(SetPinBody)
async def put_pin(request: Request, body: SetPinBody):
    await service.set_pin(request.ctx.user_id, body.pin, body.current_pin)
    return no_content()


@bp.get("/ledger")
@openapi.summary("Wallet ledger, newest first")
@openapi.response(200, json_doc(LedgerPage))
@login_required
async def ledger(request: Request):
    limit, cursor = page_params(request)
    entries = await service.ledger_page(request.ctx.user_id, limit, cursor)
    return json(view(LedgerPage, page(entries, limit, lambda entry: entry.id)))

"""HTTP routes of the wallet (DESIGN.md §3, "Catalog, wallet")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import body, json, json_doc, no_content, page, page_params
from app.wallet import service
from app.wallet.schemas import SetPinBody, WalletOut, WalletPatch

bp = Blueprint("wallet", url_prefix="/api/v1/wallet")


def _entry(entry) -> dict:
    return {"id": entry.id, "kind": entry.kind, "amount_fen": entry.amount_fen,
            "balance_after_fen": entry.balance_after_fen, "reason": entry.reason, "order_id": entry.order_id,
            "created_at": entry.created_at}


@bp.get("")
@openapi.summary("Wallet balance and PIN state")
@openapi.response(200, json_doc(WalletOut))
@login_required
async def get_wallet(request: Request):
    return json((await service.view(request.ctx.user_id)).to_dict())


@bp.patch("")
@openapi.summary("Set the password-free limit (needs the PIN)")
@openapi.response(200, json_doc(WalletOut))
@login_required
@body(WalletPatch)
async def patch_wallet(request: Request, body: WalletPatch):
    return json((await service.set_pin_free_limit(request.ctx.user_id, body.pin_free_limit_fen, body.pin)).to_dict())


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
@login_required
async def ledger(request: Request):
    limit, cursor = page_params(request)
    entries = await service.ledger_page(request.ctx.user_id, limit, cursor)
    result = page(entries, limit, lambda entry: entry.id)
    return json({"items": [_entry(e) for e in result["items"]], "next_cursor": result["next_cursor"]})

"""HTTP routes of wallets for operators: credits (DESIGN.md §6)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import ID, body, json, json_doc
from app.operators.guard import MANAGE, operator_required
from app.wallet.credit import credit
from app.wallet.schemas import CreditBody, CreditOut

bp = Blueprint("wallet_admin", url_prefix="/admin/v1")


@bp.post(f"/wallets/<user_id:{ID}>/credit")
@openapi.summary("Credit a user's wallet")
@openapi.response(201, json_doc(CreditOut))
@operator_required(*MANAGE)
@body(CreditBody)
async def credit_wallet(request: Request, user_id: str, body: CreditBody):
    return json(await credit(request.ctx.operator.id, user_id, body.amount_fen, body.reason), status=201)

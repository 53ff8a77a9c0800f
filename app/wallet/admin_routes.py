"""HTTP routes of wallets for operators: credits (DESIGN.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field
from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import ID, body, json, json_doc
from app.operators.guard import MANAGE, operator_required
from app.wallet.credit import MAX_CREDIT_FEN, credit

bp = Blueprint("wallet_admin", url_prefix="/admin/v1")


class CreditBody(BaseModel):
    amount_fen: int = Field(ge=1, le=MAX_CREDIT_FEN, strict=True)
    reason: str = Field(min_length=1, max_length=200)


class LedgerEntryOut(BaseModel):
    id: str
    kind: str
    amount_fen: int
    balance_after_fen: int
    reason: str
    order_id: Optional[str]
    created_at: datetime


class CreditOut(BaseModel):
    user_id: str
    balance_fen: int
    entry: LedgerEntryOut


@bp.post(f"/wallets/<user_id:{ID}>/credit")
@openapi.summary("Credit a user's wallet")
@openapi.response(201, json_doc(CreditOut))
@operator_required(*MANAGE)
@body(CreditBody)
async def credit_wallet(request: Request, user_id: str, body: CreditBody):
    return json(await credit(request.ctx.operator.id, user_id, body.amount_fen, body.reason), status=201)

"""Refunds issued by operators (DESIGN.md §6 "Refunds")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.http import ID, idempotency_key, json, json_doc, parse, read_json
from app.operators.guard import MANAGE, operator_required
from app.refunds import service
from app.refunds.schemas import RefundBody, RefundOut

bp = Blueprint("refunds_admin", url_prefix="/admin/v1")


@bp.post(f"/orders/<order_id:{ID}>/refund")
@openapi.summary("Refund a paid order in full or in part (Idempotency-Key required)")
@openapi.definition(body=json_doc(RefundBody))
@openapi.response(201, json_doc(RefundOut))
@operator_required(*MANAGE)
async def refund_order(request: Request, order_id: str):
    key = idempotency_key(request)  # the same rule as one-tap's keys
    body = parse(RefundBody, read_json(request))
    answer = await service.request_refund(request.app.ctx.deps, request.ctx.operator.id, order_id, body.amount_fen,
                                          body.reason, key)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return json(answer.refund, status=201, headers=headers)

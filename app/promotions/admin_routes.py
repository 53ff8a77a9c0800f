"""HTTP routes of promotions for operators (DESIGN.md §6)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.errors import ValidationFailed
from app.core.http import ID, body, json, json_doc, page, page_params
from app.operators.guard import MANAGE, READ, operator_required
from app.promotions import service
from app.promotions.schemas import PromotionIn, PromotionOut, PromotionPage, PromotionPatch

bp = Blueprint("promotions_admin", url_prefix="/admin/v1")


def _enabled_filter(request: Request) -> bool | None:
    raw = request.args.get("enabled")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ValidationFailed.one("enabled", "must be true or false")
    return raw == "true"


@bp.get("/promotions")
@openapi.summary("Promotions, newest first")
@openapi.parameter("enabled", bool, description="true or false; both when absent")
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(PromotionPage))
@operator_required(*READ)
async def list_promotions(request: Request):
    limit, before_id = page_params(request)
    promotions = await service.list_promotions(limit, before_id, _enabled_filter(request))
    return json(page(promotions, limit, lambda promotion: promotion["id"]))


@bp.post("/promotions")
@openapi.summary("Create a promotion")
@openapi.response(201, json_doc(PromotionOut))
@operator_required(*MANAGE)
@body(PromotionIn)
async def create_promotion(request: Request, body: PromotionIn):
    view = await service.create_promotion(request.app.ctx.deps.redis, request.ctx.operator.id, body)
    return json(view, status=201)


@bp.get(f"/promotions/<promotion_id:{ID}>")
@openapi.summary("One promotion")
@openapi.response(200, json_doc(PromotionOut))
@operator_required(*READ)
async def get_promotion(request: Request, promotion_id: str):
    return json(await service.get_promotion(promotion_id))


@bp.patch(f"/promotions/<promotion_id:{ID}>")
@openapi.summary("Change any subset of a promotion; {\"enabled\": false} switches it off everywhere at once")
@openapi.response(200, json_doc(PromotionOut))
@operator_required(*MANAGE)
@body(PromotionPatch)
async def update_promotion(request: Request, promotion_id: str, body: PromotionPatch):
    view = await service.update_promotion(request.app.ctx.deps.redis, request.ctx.operator.id, promotion_id, body)
    return json(view)

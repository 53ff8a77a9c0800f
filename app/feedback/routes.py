"""Shoppers' feedback routes (DESIGN.md §7): file it on an order (rate-limited per user), list your own."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import ID, json, json_doc, page, page_params, parse, read_json
from app.feedback import service
from app.feedback.schemas import FeedbackIn, FeedbackOut, FeedbackPage
from app.risk import limits

bp = Blueprint("feedback", url_prefix="/api/v1")


@bp.post(f"/orders/<order_id:{ID}>/feedback")
@openapi.summary("Feedback on one of my orders; paid_not_updated asks WeChat Pay about the order first")
@openapi.body(json_doc(FeedbackIn))
@openapi.response(201, json_doc(FeedbackOut))
@login_required
async def file_feedback(request: Request, order_id: str):
    await limits.check(request.app.ctx.deps, limits.FEEDBACK, request.ctx.user_id)  # before any other work (§7)
    data = parse(FeedbackIn, read_json(request))
    feedback = await service.file(request.app.ctx.deps, request.ctx.user_id, order_id, data)
    return json((await service.views(FeedbackOut, [feedback]))[0], status=201)


@bp.get("/feedback")
@openapi.summary("My feedback, newest first, with operators' replies")
@openapi.response(200, json_doc(FeedbackPage))
@login_required
async def list_feedback(request: Request):
    limit, cursor = page_params(request)
    found = page(await service.list_own(request.ctx.user_id, limit, cursor), limit, lambda item: item.id)
    return json({"items": await service.views(FeedbackOut, found["items"]), "next_cursor": found["next_cursor"]})

"""Operators' feedback queue (DESIGN.md §7): every role reads it; operators and admins reply (audit-logged)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.core.errors import ValidationFailed
from app.core.http import ID, body, json, json_doc, page, page_params
from app.feedback import service
from app.feedback.models import STATUSES
from app.feedback.schemas import AdminFeedbackOut, AdminFeedbackPage, ReplyIn
from app.operators.guard import MANAGE, READ, operator_required

bp = Blueprint("feedback_admin", url_prefix="/admin/v1/feedback")


@bp.get("")
@openapi.summary("Shoppers' feedback, newest first, with replies")
@openapi.parameter("status", str, description="open | resolved (default both)")
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(AdminFeedbackPage))
@operator_required(*READ)
async def queue(request: Request):
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationFailed.one("status", f"must be one of {', '.join(STATUSES)}")
    limit, cursor = page_params(request)
    found = page(await service.queue(status, limit, cursor), limit, lambda item: item.id)
    return json({"items": await service.views(AdminFeedbackOut, found["items"]), "next_cursor": found["next_cursor"]})


@bp.post(f"/<feedback_id:{ID}>/replies")
@openapi.summary("Reply to a feedback (the shopper sees it); resolve: true closes it. Audit-logged")
@openapi.response(201, json_doc(AdminFeedbackOut))
@operator_required(*MANAGE)
@body(ReplyIn)
async def add_reply(request: Request, feedback_id: str, body: ReplyIn):
    feedback = await service.reply(request.ctx.operator.id, feedback_id, body.text, body.resolve)
    return json((await service.views(AdminFeedbackOut, [feedback]))[0], status=201)

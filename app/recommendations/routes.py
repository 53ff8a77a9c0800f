"""HTTP route of recommendations (DESIGN.md §3 "Recommendations")."""

from __future__ import annotations

import re
from typing import Optional

from sanic import Blueprint, Request, Sanic
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.errors import ValidationFailed
from app.core.http import json, json_doc
from app.core.serialize import view
from app.pricing import MAX_LINES
from app.recommendations import service, signals
from app.recommendations.schemas import RecommendationsOut

bp = Blueprint("recommendations", url_prefix="/api/v1")

_ITEM = re.compile(r"([A-Za-z0-9_]{1,40}):([0-9]{1,3})")
_ITEM_REASON = "must be <product_id>:<quantity>, the quantity from 1 to 999"


@bp.before_server_start
async def _install_redis(app: Sanic) -> None:
    signals.install_redis(lambda: app.ctx.deps.redis)  # read at each use: deps are built by a later listener


def parse_items(values: list[str]) -> Optional[list[tuple[str, int]]]:
    """`?items=<product_id>:<qty>,...` (the parameter may also repeat); anything else is VALIDATION_FAILED."""
    if not values:
        return None
    parts = ",".join(values).split(",")
    if len(parts) > MAX_LINES:
        raise ValidationFailed.one("items", f"at most {MAX_LINES} items")
    items, problems = [], []
    for index, part in enumerate(parts):
        match = _ITEM.fullmatch(part.strip())
        if match is None or int(match.group(2)) < 1:
            problems.append({"field": f"items.{index}", "reason": _ITEM_REASON})
        else:
            items.append((match.group(1), int(match.group(2))))
    if problems:
        raise ValidationFailed(problems)
    return items


@bp.get("/recommendations")
@openapi.summary("The method you will likely pay with, the offers that matter now, what to buy again")
@openapi.parameter("items", str, description="the cart, as <product_id>:<quantity>,... (optional)")
@openapi.response(200, json_doc(RecommendationsOut))
@login_required
async def recommendations(request: Request):
    items = parse_items(request.get_args(keep_blank_values=True).getlist("items"))  # `items=` is a bad cart too
    return json(view(RecommendationsOut, (await service.recommend(request.ctx.user_id, items)).to_dict()))

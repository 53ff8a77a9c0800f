"""HTTP routes of quote and one-tap checkout (DESIGN.md §3 "Checkout")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.checkout import prefill as prefills, service
from app.checkout.schemas import OneTapBody, OneTapOut, PrefillOut, QuoteBody, QuoteOut
from app.core.http import body, idempotency_key, json, json_doc, parse, read_json
from app.risk import limits

bp = Blueprint("checkout", url_prefix="/api/v1/checkout")


@bp.get("/prefill")
@openapi.summary("Everything a checkout page needs, in one round trip")
@openapi.operation("get~preferences.checkout_prefill")  # its operationId from before it moved here, kept for clients
@openapi.response(200, json_doc(PrefillOut))
@login_required
async def checkout_prefill(request: Request):
    return json(await prefills.prefill(request.ctx.user_id))


@bp.post("/quote")
@openapi.summary("Price a cart with the best promotions")
@openapi.response(200, json_doc(QuoteOut))
@login_required(counters=service.counters)
@body(QuoteBody)
async def quote(request: Request, body: QuoteBody):
    answer = await service.quote(request.ctx.user_id, body, request.ctx.versions)
    request.app.ctx.stats_tally.add_quote()  # a quote answered 200 (DESIGN §6.1 `quotes`), sent within a second
    return json(answer)


@bp.post("/one-tap")
@openapi.summary("Price, reserve, create the order and pay (or get wx.requestPayment parameters) in one request")
@openapi.parameter("Idempotency-Key", str, location="header", required=True)
@openapi.body(json_doc(OneTapBody))
@openapi.response(201, json_doc(OneTapOut))
@login_required(counters=service.counters)
async def one_tap(request: Request):
    # The contract's order: token (the guard) → Idempotency-Key → rate limit → body → replay/conflict → ...
    key = idempotency_key(request)
    # DESIGN §7: counted by distinct key, so a retry or replay of this key never counts twice.
    await limits.check(request.app.ctx.deps, limits.ONE_TAP, request.ctx.user_id, member=key)
    raw = read_json(request)
    body = parse(OneTapBody, raw)
    answer = await service.one_tap(request.app.ctx.deps, request.ctx.user_id, key, raw, body, request.ctx.versions)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return json(answer.body, status=answer.status, headers=headers)

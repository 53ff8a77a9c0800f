"""WeChat Pay notification callbacks (DESIGN.md §4): verify first, then hand to the orders' services.

Each route uses the provider of its own API whatever YIJIAN_WXPAY_API says, so orders made under the
other setting still settle. Answers are in WeChat's format, never our error JSON.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic_ext import openapi

from app.notify import service
from app.payments.registry import NOTIFY_PATHS, REFUND, TRANSACTION, V2, V3

bp = Blueprint("notify")
V3_PAYMENT, V3_REFUND, V2_BOTH = NOTIFY_PATHS[V3, TRANSACTION], NOTIFY_PATHS[V3, REFUND], NOTIFY_PATHS[V2, TRANSACTION]


async def _receive(request: Request, endpoint: str, api: str) -> HTTPResponse:
    answer = await service.receive(request.app.ctx.deps, endpoint, api, request.headers, request.body or b"",
                                   source=request.remote_addr or request.ip)
    if answer.status == 204:
        return HTTPResponse(status=204)
    return HTTPResponse(answer.body, status=answer.status, content_type=answer.content_type)


@bp.post(V3_PAYMENT)
@openapi.summary("WeChat Pay APIv3 payment notification")
async def wechatpay(request: Request):
    return await _receive(request, V3_PAYMENT, V3)


@bp.post(V3_REFUND)
@openapi.summary("WeChat Pay APIv3 refund notification")
async def wechatpay_refund(request: Request):
    return await _receive(request, V3_REFUND, V3)


@bp.post(V2_BOTH)
@openapi.summary("WeChat Pay APIv2 notification (payment or refund, XML)")
async def wechatpay_v2(request: Request):
    return await _receive(request, V2_BOTH, V2)

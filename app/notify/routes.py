"""WeChat Pay notification callbacks (DESIGN.md §4): verify first, then hand to the orders' services.

Each route uses the provider of its own API whatever YIJIAN_WXPAY_API says, so orders made under the
other setting still settle. Answers are in WeChat's format, never our error JSON.
"""

from __future__ import annotations

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse
from sanic_ext import openapi

from app.notify import providers, service

bp = Blueprint("notify", url_prefix="/notify")


@bp.before_server_start
async def _install_providers(app: Sanic) -> None:
    providers.install(lambda: app.ctx.deps)  # read at each use: deps are built by a later listener


async def _receive(request: Request, endpoint: str, api: str) -> HTTPResponse:
    answer = await service.receive(endpoint, api, request.headers, request.body or b"",
                                   source=request.remote_addr or request.ip)
    if answer.status == 204:
        return HTTPResponse(status=204)
    return HTTPResponse(answer.body, status=answer.status, content_type=answer.content_type)


@bp.post("/wechatpay")
@openapi.summary("WeChat Pay APIv3 payment notification")
async def wechatpay(request: Request):
    return await _receive(request, "/notify/wechatpay", providers.V3)


@bp.post("/wechatpay/refund")
@openapi.summary("WeChat Pay APIv3 refund notification")
async def wechatpay_refund(request: Request):
    return await _receive(request, "/notify/wechatpay/refund", providers.V3)


@bp.post("/wechatpay/v2")
@openapi.summary("WeChat Pay APIv2 notification (payment or refund, XML)")
async def wechatpay_v2(request: Request):
    return await _receive(request, "/notify/wechatpay/v2", providers.V2)

"""Route guard for the mini-program API: a valid, unrevoked access token or 401."""

from __future__ import annotations

import functools
from typing import Any, Callable

from sanic import Request
from sanic_ext import openapi

from app.auth import service
from app.core.errors import AuthError
from app.core.http import keep_openapi


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise AuthError("AUTH_TOKEN_MISSING")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("AUTH_TOKEN_INVALID")
    return token.strip()


def login_required(handler: Callable) -> Callable:
    """Sets `request.ctx.user_id` and `request.ctx.claims` from the access token."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any):
        claims = await service.authenticate(request.app.ctx.deps, bearer_token(request))
        request.ctx.claims = claims
        request.ctx.user_id = claims.subject
        return await handler(request, *args, **kwargs)

    return openapi.secured("bearer")(keep_openapi(handler, wrapper))

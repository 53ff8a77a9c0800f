"""Route guard for the mini-program API: a valid, unrevoked access token or 401."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

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


def login_required(handler: Optional[Callable] = None, *,
                   counters: Optional[Callable[[str], list[str]]] = None) -> Callable:
    """Sets `request.ctx.user_id` and `request.ctx.claims` from the access token. With `counters`, also
    `request.ctx.versions`: those version counters of the user, read with the deny-list in one Redis round trip
    (None when Redis could not be read that way)."""
    if handler is None:
        return functools.partial(login_required, counters=counters)

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any):
        if counters is None:
            claims = await service.authenticate(request.app.ctx.deps, bearer_token(request))
        else:
            claims, request.ctx.versions = await service.authenticate_reading(
                request.app.ctx.deps, bearer_token(request), counters)
        request.ctx.claims = claims
        request.ctx.user_id = claims.subject
        return await handler(request, *args, **kwargs)

    return openapi.secured("bearer")(keep_openapi(handler, wrapper))

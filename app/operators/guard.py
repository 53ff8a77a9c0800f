"""Route guard for /admin: an operator's access token and a role the route allows (DESIGN.md §6)."""

from __future__ import annotations

import functools
from typing import Any, Callable

from sanic import Request
from sanic_ext import openapi

from app.auth.guard import bearer_token
from app.core.errors import AppError
from app.operators import service
from app.operators.roles import ADMIN, ADMIN_ONLY, MANAGE, READ

__all__ = ["ADMIN_ONLY", "MANAGE", "READ", "operator_required"]  # the roles, where routes import them from


def operator_required(*roles: str) -> Callable:
    """Sets `request.ctx.operator` and `request.ctx.claims`; a role outside `roles` (and not admin) is FORBIDDEN."""
    allowed = frozenset(roles) | {ADMIN}

    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any):
            claims, operator = await service.authenticate(request.app.ctx.deps, bearer_token(request))
            if operator.role not in allowed:
                raise AppError("FORBIDDEN", role=operator.role)
            request.ctx.claims = claims
            request.ctx.operator = operator
            return await handler(request, *args, **kwargs)

        return openapi.secured("bearer")(wrapper)

    return decorator

"""HTTP routes of login and sessions (DESIGN.md §3, "Login and session")."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth import service
from app.auth.guard import login_required
from app.auth.schemas import LoginBody, LoginOut, RefreshBody, TokenPairOut
from app.core.http import body, json, json_doc, no_content
from app.core.serialize import view

bp = Blueprint("auth", url_prefix="/api/v1/auth")


@bp.post("/login")
@openapi.summary("Log in with a wx.login code")
@openapi.response(200, json_doc(LoginOut))
@body(LoginBody)
async def login(request: Request, body: LoginBody):
    result = await service.login(request.app.ctx.deps, body.code)
    user = {"id": result.user.id, "is_new_user": result.is_new_user, "has_phone": result.user.phone_enc is not None}
    return json(view(LoginOut, result.tokens, user=user))


@bp.post("/refresh")
@openapi.summary("Rotate the token pair")
@openapi.response(200, json_doc(TokenPairOut))
@body(RefreshBody)
async def refresh(request: Request, body: RefreshBody):
    return json(view(TokenPairOut, await service.refresh(request.app.ctx.deps, body.refresh_token)))


@bp.post("/logout")
@openapi.summary("Revoke this session")
@openapi.response(204, None)
@login_required
async def logout(request: Request):
    await service.logout(request.app.ctx.deps, request.ctx.claims)
    return no_content()

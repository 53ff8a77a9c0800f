"""The mini-program server API: jscode2session, access tokens, getuserphonenumber (errcode JSON, always HTTP 200)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from .faults import with_api_faults
from .formats import json_object
from .state import SandboxState

_PHONE_CODE = re.compile(r"^phone:(\d{11})(?::.*)?$", re.DOTALL)


def errcode_json(body: dict) -> HTTPResponse:
    return HTTPResponse(
        json.dumps(body, ensure_ascii=False), status=200, content_type="application/json; charset=utf-8"
    )


def wx_error(errcode: int, errmsg: str) -> HTTPResponse:
    return errcode_json({"errcode": errcode, "errmsg": errmsg})


def system_error() -> HTTPResponse:
    return wx_error(-1, "system error")


def openid_for(state: SandboxState, label: str) -> str:
    """The same label is always the same user: 28 chars starting with `o`, like WeChat's openids."""
    mac = hmac.new(
        state.keys.openid_secret.encode(), f"{state.keys.appid}:{label}".encode("utf-8"), hashlib.sha256
    ).digest()
    return "o" + base64.urlsafe_b64encode(mac).decode("ascii")[:27]


def _check_app_credentials(state: SandboxState, appid: str | None, secret: str | None) -> HTTPResponse | None:
    if appid != state.keys.appid:
        return wx_error(40013, "invalid appid")
    if secret != state.keys.appsecret:
        return wx_error(40125, "invalid appsecret")
    return None


def register(bp: Blueprint, state: SandboxState) -> None:
    @bp.get("/sns/jscode2session", name="jscode2session")
    async def jscode2session(request: Request) -> HTTPResponse:
        async def answer() -> HTTPResponse:
            args = request.args
            refused = _check_app_credentials(state, args.get("appid"), args.get("secret"))
            if refused:
                return refused
            if args.get("grant_type") != "authorization_code":
                return wx_error(40002, "invalid grant_type")
            code = args.get("js_code")
            if not code:
                return wx_error(41008, "missing code")
            label, sep, _ = code.partition(":")
            if not sep or not label:
                return wx_error(40029, "invalid code")
            if code in state.used_login_codes:
                return wx_error(40163, "code been used")
            state.used_login_codes.add(code)
            session_key = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
            return errcode_json({"openid": openid_for(state, label), "session_key": session_key})

        return await with_api_faults(state.faults, "jscode2session", system_error, answer)

    @bp.get("/cgi-bin/token", name="token")
    async def token(request: Request) -> HTTPResponse:
        async def answer() -> HTTPResponse:
            args = request.args
            if args.get("grant_type") != "client_credential":
                return wx_error(40002, "invalid grant_type")
            refused = _check_app_credentials(state, args.get("appid"), args.get("secret"))
            if refused:
                return refused
            access_token, expires_in = state.issue_access_token()
            return errcode_json({"access_token": access_token, "expires_in": expires_in})

        return await with_api_faults(state.faults, "token", system_error, answer)

    @bp.post("/cgi-bin/stable_token", name="stable_token")
    async def stable_token(request: Request) -> HTTPResponse:
        async def answer() -> HTTPResponse:
            body = json_object(request.body)
            if body is None:
                return wx_error(47001, "data format error")
            if body.get("grant_type") != "client_credential":
                return wx_error(40002, "invalid grant_type")
            refused = _check_app_credentials(state, body.get("appid"), body.get("secret"))
            if refused:
                return refused
            access_token, expires_in = state.issue_stable_token(bool(body.get("force_refresh")))
            return errcode_json({"access_token": access_token, "expires_in": expires_in})

        return await with_api_faults(state.faults, "token", system_error, answer)

    @bp.post("/wxa/business/getuserphonenumber", name="getuserphonenumber")
    async def getuserphonenumber(request: Request) -> HTTPResponse:
        async def answer() -> HTTPResponse:
            if not state.access_token_valid(request.args.get("access_token") or ""):
                return wx_error(40001, "invalid credential, access_token is invalid or not latest")
            body = json_object(request.body)
            if body is None:
                return wx_error(47001, "data format error")
            match = _PHONE_CODE.match(body.get("code") or "") if isinstance(body.get("code"), str) else None
            if not match:
                return wx_error(40029, "invalid code")
            phone = match.group(1)
            return errcode_json({
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                    "watermark": {"timestamp": int(time.time()), "appid": state.keys.appid},
                },
            })

        return await with_api_faults(state.faults, "phone", system_error, answer)

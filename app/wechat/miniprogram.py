"""Client of WeChat's mini-program server API (code2session, access token, phone number), with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from redis.asyncio import Redis
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from app.core.errors import AppError, WeChatError
from app.wechat.credentials import CredentialSource

log = logging.getLogger("yijian.wechat")

# WeChat errcodes and what they mean for our caller.
CODE_INVALID = {40029, 40163}  # invalid code, code already used
BUSY = -1
RATE_LIMIT = 45011
ACCESS_TOKEN_INVALID = {40001, 42001}
_TOKEN_CACHE_KEY = "wechat:access_token"


class _Transient(Exception):
    """A failure worth retrying: network error, 5xx, or errcode -1 (system busy)."""


@dataclass(frozen=True)
class WxSession:
    openid: str
    session_key: str
    unionid: str | None = None


class MiniProgramClient:
    def __init__(self, base_url: str, credentials: CredentialSource, http: httpx.AsyncClient, redis: Redis,
                 *, attempts: int = 3, deadline_s: float = 8.0) -> None:
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._http = http
        self._redis = redis
        self._attempts = attempts
        self._deadline_s = deadline_s

    async def code2session(self, code: str) -> WxSession:
        creds = await self._creds()
        data = await self._call("GET", "/sns/jscode2session", api="jscode2session", params={
            "appid": creds.appid, "secret": creds.appsecret, "js_code": code, "grant_type": "authorization_code",
        })
        self._raise_for_errcode(data, "jscode2session", invalid_code="AUTH_CODE_INVALID")
        return WxSession(openid=data["openid"], session_key=data["session_key"], unionid=data.get("unionid"))

    async def phone_number(self, code: str) -> str:
        """The phone number behind a `getPhoneNumber` code (the pure number, without country code)."""
        for attempt in range(2):
            token = await self.access_token(force_refresh=attempt > 0)
            data = await self._call("POST", "/wxa/business/getuserphonenumber", api="phone",
                                    params={"access_token": token}, json={"code": code})
            if data.get("errcode") in ACCESS_TOKEN_INVALID and attempt == 0:
                continue
            self._raise_for_errcode(data, "getuserphonenumber", invalid_code="PHONE_CODE_INVALID")
            return data["phone_info"]["purePhoneNumber"]
        raise WeChatError("WECHAT_UNAVAILABLE")

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """The mini-program access token, shared by all workers through Redis until shortly before it expires."""
        if not force_refresh:
            cached = await self._redis.get(_TOKEN_CACHE_KEY)
            if cached:
                return cached
        creds = await self._creds()
        data = await self._call("POST", "/cgi-bin/stable_token", api="token", json={
            "grant_type": "client_credential", "appid": creds.appid, "secret": creds.appsecret,
            "force_refresh": force_refresh,
        })
        self._raise_for_errcode(data, "stable_token")
        ttl = max(int(data.get("expires_in", 7200)) - 300, 60)
        await self._redis.set(_TOKEN_CACHE_KEY, data["access_token"], ex=ttl)
        return data["access_token"]

    async def _creds(self):
        try:
            return await self._credentials.get()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.error("wechat credentials unavailable", extra={"fields": {"error": type(exc).__name__}})
            raise WeChatError("WECHAT_UNAVAILABLE") from None

    async def _call(self, method: str, path: str, *, api: str, **kwargs: Any) -> dict[str, Any]:
        """One WeChat call with retries (backoff with jitter, bounded by attempts and a deadline)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._attempts) | stop_after_delay(self._deadline_s),
            wait=wait_exponential_jitter(multiplier=0.1, max=1.0, jitter=0.1),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, **kwargs)
        except _Transient as exc:
            log.warning("wechat call failed after retries", extra={"fields": {"api": api, "cause": str(exc)}})
            raise WeChatError("WECHAT_UNAVAILABLE") from None
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, f"{self._base}{path}", timeout=3.0, **kwargs)
        except httpx.TransportError as exc:
            raise _Transient(type(exc).__name__) from None
        if response.status_code >= 500:
            raise _Transient(f"http {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise _Transient("not json") from None
        if data.get("errcode") == BUSY:
            raise _Transient("errcode -1")
        return data

    @staticmethod
    def _raise_for_errcode(data: dict[str, Any], api: str, invalid_code: str = "WECHAT_UNAVAILABLE") -> None:
        errcode = data.get("errcode") or 0
        if errcode == 0:
            return
        if errcode in CODE_INVALID:
            raise WeChatError(invalid_code, wechat_errcode=errcode)
        if errcode == RATE_LIMIT:
            raise AppError("RATE_LIMITED", headers={"Retry-After": "1"})
        log.error("wechat refused the call", extra={"fields": {"api": api, "errcode": errcode}})
        raise WeChatError("WECHAT_UNAVAILABLE")

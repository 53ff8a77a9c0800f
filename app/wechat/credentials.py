"""Where the WeChat credentials come from: the environment in live mode, the sandbox's keys endpoint in sandbox mode."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.core.settings import Settings


@dataclass(frozen=True)
class WeChatCredentials:
    appid: str
    appsecret: str
    mchid: str = ""
    merchant_serial_no: str = ""
    merchant_private_key_pem: str = ""
    platform_public_key_id: str = ""
    platform_public_key_pem: str = ""
    apiv3_key: str = ""
    apiv2_key: str = ""


def _read(path: str) -> str:
    return Path(path).read_text() if path else ""


class CredentialSource:
    """Loads the credentials once, on first use (the mounted sandbox only answers once the server listens)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._value: WeChatCredentials | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> WeChatCredentials:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    self._value = await self._load()
        return self._value

    async def _load(self) -> WeChatCredentials:
        live = self._settings.live
        if live is not None:
            return WeChatCredentials(
                appid=live.appid, appsecret=live.secret, mchid=live.mchid,
                merchant_serial_no=live.merchant_serial_no,
                merchant_private_key_pem=_read(live.merchant_key_path),
                platform_public_key_id=live.platform_public_key_id,
                platform_public_key_pem=_read(live.platform_public_key_path),
                apiv3_key=live.apiv3_key, apiv2_key=live.apiv2_key,
            )
        response = await self._http.get(f"{self._settings.wechat_base_url}/control/keys", timeout=5.0)
        response.raise_for_status()
        keys = response.json()
        return WeChatCredentials(
            appid=keys["appid"], appsecret=keys["appsecret"], mchid=keys["mchid"],
            merchant_serial_no=keys["merchant"]["serial_no"],
            merchant_private_key_pem=keys["merchant"]["private_key_pem"],
            platform_public_key_id=keys["platform"]["public_key_id"],
            platform_public_key_pem=keys["platform"]["public_key_pem"],
            apiv3_key=keys["apiv3_key"], apiv2_key=keys["apiv2_key"],
        )

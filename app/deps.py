"""The long-lived collaborators that handlers hand to services: built at start-up, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from redis.asyncio import Redis

from app.core import versioned
from app.core.security import FieldCipher, TokenCodec
from app.core.settings import Settings
from app.payments.registry import Payments
from app.wechat.credentials import CredentialSource
from app.wechat.miniprogram import MiniProgramClient


@dataclass
class Deps:
    settings: Settings
    redis: Redis
    http: httpx.AsyncClient
    tokens: TokenCodec
    cipher: FieldCipher
    wechat_credentials: CredentialSource
    miniprogram: MiniProgramClient
    payments: Payments  # WeChat Pay by API (APIv3 or APIv2 for new orders, by YIJIAN_WXPAY_API) and the wallet

    @classmethod
    def build(cls, settings: Settings, redis: Redis) -> Deps:
        http = httpx.AsyncClient(timeout=httpx.Timeout(5.0), limits=httpx.Limits(max_connections=100))
        credentials = CredentialSource(settings, http)
        assert settings.wechat_base_url, "wechat_base_url is filled before the app is built"
        versioned.install(redis)  # whatever this process changes is announced to every worker's caches
        return cls(
            settings=settings,
            redis=redis,
            http=http,
            tokens=TokenCodec(settings.jwt_secret),
            cipher=FieldCipher(settings.encryption_key),
            wechat_credentials=credentials,
            miniprogram=MiniProgramClient(settings.wechat_base_url, credentials, http, redis),
            payments=Payments(settings, credentials, http),
        )

    async def close(self) -> None:
        await self.http.aclose()
        await self.redis.aclose()

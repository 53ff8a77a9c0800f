"""The WeChat Pay providers (APIv3, APIv2) and the choice between them by settings."""

from __future__ import annotations

import httpx

from app.core.settings import Settings
from app.payments.interface import PaymentProvider
from app.wechat.credentials import CredentialSource

# WeChat Pay lives on another host than the mini-program API (api.weixin.qq.com).
LIVE_PAY_BASE_URL = "https://api.mch.weixin.qq.com"


def pay_base_url(settings: Settings) -> str:
    """The live WeChat Pay host, or the sandbox's base (`<origin>/sandbox/wechat`) that serves both APIs."""
    if settings.live is not None:
        return LIVE_PAY_BASE_URL
    if not settings.wechat_base_url:
        raise ValueError("the sandbox base URL is not known yet (Settings.with_listen_address)")
    return settings.wechat_base_url


def build_wechatpay_provider(settings: Settings, credentials: CredentialSource, http: httpx.AsyncClient,
                             **options) -> PaymentProvider:
    """The provider serving the `wechatpay` method: APIv3 unless YIJIAN_WXPAY_API=v2 (DESIGN §1)."""
    from app.payments.providers.wechatpay_v2 import WeChatPayV2
    from app.payments.providers.wechatpay_v3 import WeChatPayV3

    cls = WeChatPayV2 if settings.wxpay_api == "v2" else WeChatPayV3
    return cls(pay_base_url(settings), credentials, http, **options)

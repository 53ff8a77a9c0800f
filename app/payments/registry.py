"""The payment providers of one process (`deps.payments`): WeChat Pay by API version, built lazily, and the wallet.

New orders use the API YIJIAN_WXPAY_API names (`default`); everything that follows an order (its queries, close,
refunds, notifications) goes through the API that made its prepay (`for_order`), whatever the setting says by then.
Where WeChat Pay notifies us is written once here, for the notify routes and for every request that names it.
"""

from __future__ import annotations

from typing import Optional, Protocol

import httpx

from app.core.settings import Settings
from app.payments.interface import PaymentProvider
from app.payments.providers.wallet import WalletProvider
from app.payments.providers.wechatpay_v2 import WeChatPayV2
from app.payments.providers.wechatpay_v3 import WeChatPayV3
from app.wechat.credentials import CredentialSource, WeChatCredentials

V3, V2 = WeChatPayV3.name, WeChatPayV2.name
TRANSACTION, REFUND = "transaction", "refund"
# DESIGN §4. APIv2 notifies payments and refunds at one address (a refund's XML carries `req_info`).
NOTIFY_PATHS = {(V3, TRANSACTION): "/notify/wechatpay", (V3, REFUND): "/notify/wechatpay/refund",
                (V2, TRANSACTION): "/notify/wechatpay/v2", (V2, REFUND): "/notify/wechatpay/v2"}
# WeChat Pay lives on another host than the mini-program API (api.weixin.qq.com).
LIVE_PAY_BASE_URL = "https://api.mch.weixin.qq.com"
_CLASSES = {V3: WeChatPayV3, V2: WeChatPayV2}


class HasProviderApi(Protocol):
    provider_api: Optional[str]  # the API that made the order's prepay; None for orders made before it was kept


def pay_base_url(settings: Settings) -> str:
    """The live WeChat Pay host, or the sandbox's base (`<origin>/sandbox/wechat`) that serves both APIs."""
    if settings.live is not None:
        return LIVE_PAY_BASE_URL
    if not settings.wechat_base_url:
        raise ValueError("the sandbox base URL is not known yet (Settings.with_listen_address)")
    return settings.wechat_base_url


class Payments:
    def __init__(self, settings: Settings, credentials: CredentialSource, http: httpx.AsyncClient) -> None:
        self.default_api = V2 if settings.wxpay_api == "v2" else V3  # serves the `wechatpay` method of new orders
        self.wallet = WalletProvider()
        self._base_url, self._public_base_url = pay_base_url(settings), settings.public_base_url
        self._credentials, self._http = credentials, http
        self._built: dict[str, PaymentProvider] = {}

    @property
    def default(self) -> PaymentProvider:
        return self.get(self.default_api)

    def get(self, api: str) -> PaymentProvider:
        """`wechatpay_v3` or `wechatpay_v2`, sharing the process's HTTP client and credentials."""
        if api not in self._built:
            self._built[api] = _CLASSES[api](self._base_url, self._credentials, self._http)
        return self._built[api]

    def for_order(self, order: HasProviderApi) -> PaymentProvider:
        return self.get(order.provider_api or self.default_api)

    def notify_url(self, api: str, kind: str) -> str:
        return f"{self._public_base_url}{NOTIFY_PATHS[(api, kind)]}"

    async def credentials(self) -> WeChatCredentials:
        return await self._credentials.get()

"""The WeChat Pay providers by API version, for work that must use the API an order was paid through.

`deps.wechatpay` serves new orders through the API chosen by YIJIAN_WXPAY_API; notifications, settlement
and refunds of orders made under the other setting still need the other API. The providers are built
lazily from the running app's deps, which `install` names (the notify blueprint does it at start-up; a
separate worker process calls it with its own deps).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from app.deps import Deps
from app.payments.interface import PaymentProvider
from app.payments.providers import pay_base_url
from app.wechat.credentials import WeChatCredentials

V3, V2 = "wechatpay_v3", "wechatpay_v2"

_deps_getter: Optional[Callable[[], Deps]] = None
_by_deps: dict[int, "PayProviders"] = {}


class PayProviders:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._built: dict[str, PaymentProvider] = {deps.wechatpay.name: deps.wechatpay}

    def get(self, name: str) -> PaymentProvider:
        """`wechatpay_v3` or `wechatpay_v2`, sharing the deps' HTTP client and credentials."""
        if name not in self._built:
            from app.payments.providers.wechatpay_v2 import WeChatPayV2
            from app.payments.providers.wechatpay_v3 import WeChatPayV3

            cls = {V3: WeChatPayV3, V2: WeChatPayV2}[name]
            self._built[name] = cls(pay_base_url(self.deps.settings), self.deps.wechat_credentials, self.deps.http)
        return self._built[name]

    async def credentials(self) -> WeChatCredentials:
        return await self.deps.wechat_credentials.get()

    def notify_url(self, path: str) -> str:
        return f"{self.deps.settings.public_base_url}{path}"


def for_order(order: Any) -> PaymentProvider:
    """The WeChat Pay provider of the API that made `order`'s prepay (the configured one for older orders)."""
    pay = current()
    return pay.get(getattr(order, "provider_api", None) or pay.deps.wechatpay.name)


def install(deps_getter: Callable[[], Deps]) -> None:
    """Name where the running process keeps its deps (read at each use, so it may be set after this call)."""
    global _deps_getter
    _deps_getter = deps_getter


def current() -> PayProviders:
    if _deps_getter is None:
        raise RuntimeError("app.notify.providers.install() was not called in this process")
    deps = _deps_getter()
    if id(deps) not in _by_deps:
        _by_deps.clear()  # one app per process; a new deps object (tests) replaces the old one
        _by_deps[id(deps)] = PayProviders(deps)
    return _by_deps[id(deps)]

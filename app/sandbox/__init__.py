"""The built-in WeChat sandbox (DESIGN §5): a stand-in for WeChat's servers, mounted at /sandbox/wechat."""

from __future__ import annotations

import pathlib

from sanic import Blueprint, Sanic

from . import bill_api, control, miniprogram, pay_v2, pay_v3
from .state import SandboxState

URL_PREFIX = "/sandbox/wechat"

__all__ = ["URL_PREFIX", "SandboxState", "create_sandbox_app", "create_sandbox_blueprint"]


def create_sandbox_blueprint(data_dir: pathlib.Path, time_factor: float = 1.0) -> Blueprint:
    """A sandbox with its own state; its keys live in data_dir/sandbox/keys.json."""
    state = SandboxState(pathlib.Path(data_dir), time_factor)
    bp = Blueprint("wechat_sandbox", url_prefix=URL_PREFIX)
    bp.ctx.state = state
    miniprogram.register(bp, state)
    pay_v3.register(bp, state)
    pay_v2.register(bp, state)
    bill_api.register(bp, state)
    control.register(bp, state)

    @bp.before_server_stop
    async def stop_background_work(app: Sanic) -> None:
        await state.shutdown()

    return bp


def create_sandbox_app(data_dir: pathlib.Path, time_factor: float = 1.0, name: str = "yijian_sandbox") -> Sanic:
    """The sandbox alone, as WeChat is another host (`python -m app sandbox --port 8001`)."""
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.blueprint(create_sandbox_blueprint(data_dir, time_factor))
    return app

"""One real yijian server per test session, on the storage chosen by the environment (see scripts/test)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import httpx
import pytest

from tortoise.transactions import in_transaction

from app.core import db
from app.core.logs import JsonFormatter
from app.core.settings import load_settings
from app.main import create_app
from tests.servers import ServedApp, free_port

_LOGGERS = ("yijian", "sanic.root", "sanic.error", "sanic.server", "tortoise")


class LogCapture(logging.Handler):
    """Every log line the server writes, formatted exactly as in production."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


class RunningServer:
    def __init__(self, app, base_url: str, settings, logs: LogCapture) -> None:
        self.app = app
        self.base_url = base_url
        self.settings = settings
        self.logs = logs


@pytest.fixture(scope="session")
async def server():
    data_dir = Path(tempfile.mkdtemp(prefix="yijian-test-"))
    environ = dict(os.environ)
    environ["YIJIAN_DATA_DIR"] = str(data_dir)
    environ.setdefault("YIJIAN_SANDBOX_TIME_FACTOR", "100")
    port = free_port()
    settings = load_settings(environ).with_listen_address("127.0.0.1", port)
    await db.migrate(settings.database_url)
    app = create_app(settings, name=f"yijian_test_{port}")
    capture = LogCapture()
    for name in _LOGGERS:
        logging.getLogger(name).addHandler(capture)
    served = await ServedApp(app, port).start()
    yield RunningServer(app, served.origin, settings, capture)
    await served.stop()


@pytest.fixture(scope="session")
async def client(server):
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
        yield http


@pytest.fixture(autouse=True)
async def _switch_off_promotions_made_here(server):
    """Leave no enabled promotion behind: the session's server is shared, and prices elsewhere must not see ours."""
    from app.promotions import versions
    from app.promotions.models import Promotion

    before = set(await Promotion.filter(enabled=True).values_list("id", flat=True))
    yield
    made_here = set(await Promotion.filter(enabled=True).values_list("id", flat=True)) - before
    if made_here:
        async with in_transaction() as connection:
            await Promotion.filter(id__in=made_here).using_db(connection).update(enabled=False)
            await versions.bump_in(connection)
        await versions.announce(server.app.ctx.deps.redis)

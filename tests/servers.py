"""Serving a Sanic app for real on a loopback port inside the test loop (STACK-NOTES, Sanic)."""

from __future__ import annotations

import socket

from sanic import Sanic


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApp:
    """`await ServedApp(app).start()` … `await served.stop()`; listeners run as in production."""

    def __init__(self, app: Sanic, port: int | None = None) -> None:
        # Sanic's TouchUp rewrites its own code at each app's start and breaks on the third app in one
        # process (KeyError: 'connection_task'); it is only an optimisation.
        app.config.TOUCHUP = False
        self.app, self.port, self.server = app, port or free_port(), None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> ServedApp:
        self.server = await self.app.create_server(host="127.0.0.1", port=self.port,
                                                   return_asyncio_server=True, access_log=False)
        await self.server.startup()
        await self.server.before_start()  # skipping it would skip the listeners (no Tortoise, no sanic-ext)
        await self.server.after_start()
        return self

    async def stop(self) -> None:
        await self.server.before_stop()
        await self.server.close()
        await self.server.after_stop()


def other_loopback_address() -> str:
    """A loopback address of its own (127.x.y.z): requests from it count as another source than 127.0.0.1's,
    for limits kept per source address."""
    import secrets

    return f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def client_from(base_url: str, address: str, **options):
    """An httpx client whose connections leave from `address` (a loopback address of its own)."""
    import httpx

    return httpx.AsyncClient(base_url=base_url, transport=httpx.AsyncHTTPTransport(local_address=address),
                             **options)

"""One sandbox's runtime state (one per blueprint instance, never module-global)."""

from __future__ import annotations

import asyncio
import pathlib
import secrets
import time
from collections.abc import Awaitable

import httpx

from .bills import BillDownloads
from .faults import Faults
from .keys import SandboxKeys, load_or_create_keys
from .ledger import Ledger
from .notify import Notifier

ACCESS_TOKEN_TTL_S = 7200


class SandboxState:
    def __init__(self, data_dir: pathlib.Path, time_factor: float = 1.0) -> None:
        if time_factor <= 0:
            raise ValueError("time_factor must be positive")
        self.keys: SandboxKeys = load_or_create_keys(pathlib.Path(data_dir))
        self.time_factor = float(time_factor)
        self.used_login_codes: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> real expiry
        self.stable_token: tuple[str, float] | None = None
        self.ledger = Ledger()
        self.faults = Faults()
        self.bill_downloads = BillDownloads()
        self._tasks: set[asyncio.Task] = set()
        self._http: httpx.AsyncClient | None = None
        self.notifier = Notifier(self.keys, self.faults, self.time_factor, self.spawn, self.http)

    def scaled(self, seconds: float) -> float:
        """A wait on WeChat's clock, in real seconds."""
        return seconds / self.time_factor

    def spawn(self, coro: Awaitable) -> asyncio.Task:
        """Background work on the running loop, cancelled on server stop."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def http(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._http

    async def shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def issue_access_token(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(96)
        self.access_tokens[token] = time.time() + ACCESS_TOKEN_TTL_S
        return token, ACCESS_TOKEN_TTL_S

    def issue_stable_token(self, force_refresh: bool) -> tuple[str, int]:
        """stable_token answers the same token while it is valid, unless force_refresh."""
        now = time.time()
        if self.stable_token and not force_refresh and self.stable_token[1] > now:
            token, expires_at = self.stable_token
            return token, int(expires_at - now)
        token, ttl = self.issue_access_token()
        self.stable_token = (token, now + ttl)
        return token, ttl

    def access_token_valid(self, token: str) -> bool:
        expires_at = self.access_tokens.get(token)
        return expires_at is not None and expires_at > time.time()

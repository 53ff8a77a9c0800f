"""Redis through redis.asyncio, or fakeredis's async client as the in-process stand-in of the embedded default."""

from __future__ import annotations

import redis.asyncio as redis

_fake_servers: dict[str, object] = {}


def connect(redis_url: str | None, *, stand_in_name: str = "default") -> redis.Redis:
    """A client for `redis_url`; with None, a client of an in-process stand-in shared by name within this process."""
    if redis_url:
        return redis.Redis.from_url(redis_url, decode_responses=True, health_check_interval=30)
    import fakeredis  # only the embedded default needs it

    server = _fake_servers.setdefault(stand_in_name, fakeredis.FakeServer())
    return fakeredis.FakeAsyncRedis(server=server, decode_responses=True)

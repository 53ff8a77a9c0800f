"""What the notification log keeps of a delivery: verified ones whole, refused ones bounded and rate-limited per source.

Anyone can POST to /notify/*, so what a refused (unverified) delivery may make us store is bounded twice: each
keeps its headers and the first REFUSED_BODY_PREFIX bytes of its body with its full size, and one source may
have at most REFUSED_PER_SOURCE of them stored a minute (REFUSED_OVERALL from all sources together). Beyond
that they are still answered, counted in Redis and logged (not per delivery), but not stored.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping

from redis.asyncio import Redis

from app.core.security import new_id
from app.notify.models import NotificationLog

log = logging.getLogger("yijian.notify")

REFUSED_BODY_PREFIX = 4096
REFUSED_PER_SOURCE = 30
REFUSED_OVERALL = 300
WINDOW_S = 60
# Headers that may carry our own secrets (never WeChat's): not kept in the log.
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}
_KEY = "yijian:notify:refused"


async def write(*, endpoint: str, source: str, headers: Mapping[str, str], body: bytes, verified: bool,
                verdict: str, event_type: str | None, out_trade_no: str | None, answer_status: int,
                answer_body: str, redis: Redis) -> None:
    """Store one delivery in the log, or, for a refused one over its source's allowance, only count it."""
    if not verified and not await _allowed(redis, source_of(source)):
        return
    kept = body if verified else body[:REFUSED_BODY_PREFIX]
    await NotificationLog.create(
        id=new_id("ntf"), endpoint=endpoint, body=_text(kept), body_size=len(body),
        body_truncated=len(kept) < len(body),
        headers={_text(k.lower()): _text(v) for k, v in headers.items() if k.lower() not in SECRET_HEADERS},
        verdict=verdict, event_type=event_type, answer_status=answer_status, answer_body=answer_body,
        out_trade_no=(out_trade_no or "")[:32] or None)


def source_of(address: str) -> str:
    """The unit one sender is limited by: an IPv4 address, or an IPv6 /64 (one host's usual allocation)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


async def _allowed(redis: Redis, source: str) -> bool:
    """One more refused delivery from `source` may be stored (and is counted); else it is counted as dropped.
    Each counter's window starts at its first delivery: SET NX EX and INCR in one transaction, so no counter is
    ever left without its expiry."""
    if (await _count(redis, f"{_KEY}:seen:{source}") <= REFUSED_PER_SOURCE
            and await _count(redis, f"{_KEY}:stored") <= REFUSED_OVERALL):
        return True
    dropped = await _count(redis, f"{_KEY}:dropped:{source}")
    if _power_of_ten(dropped):  # a line at 1, 10, 100 ... dropped, not one per delivery
        log.warning("refused notifications not stored", extra={"fields": {
            "source": source, "dropped": dropped, "window_s": WINDOW_S, "per_source": REFUSED_PER_SOURCE}})
    return False


async def _count(redis: Redis, key: str) -> int:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=WINDOW_S, nx=True)
        pipe.incr(key)
        _, value = await pipe.execute()
    return int(value)


def _power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1


def _text(value: str | bytes) -> str:
    """As text PostgreSQL can store: bytes decoded (what is not UTF-8 replaced), NUL replaced too."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.replace("\x00", "\ufffd")

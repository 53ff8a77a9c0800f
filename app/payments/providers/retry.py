"""How a WeChat Pay call fails: retries with backoff and jitter within attempts and a deadline; credentials unavailable."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, stop_before_delay, wait_exponential_jitter

from app.payments.interface import ProviderUnavailable
from app.wechat.credentials import CredentialSource, WeChatCredentials

log = logging.getLogger("yijian.payments")
T = TypeVar("T")
MIN_ATTEMPT_S = 0.05  # below this an attempt cannot even connect; the deadline has effectively passed


class Transient(Exception):
    """A failure worth another attempt: timeout, transport error, 5xx, SYSTEM_ERROR / SYSTEMERROR."""


class Unverified(Exception):
    """An answer whose signature does not check out: never believed, never retried (see the provider docs)."""


async def call_with_retries(once: Callable[[float], Awaitable[T]], *, api: str, attempts: int,
                            deadline_s: float, timeout_s: float) -> T:
    """Run `once(timeout)` until it returns, a non-transient error escapes, or attempts or the deadline run out.

    Each attempt gets min(timeout_s, time left before the deadline), so the whole call never outlasts the
    deadline by more than a few milliseconds; no attempt starts when the backoff would end past it.
    Raises ProviderUnavailable when the transient failures win.
    """
    started = time.monotonic()
    tries, last_cause = 0, "no attempt"
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Transient),
        stop=stop_after_attempt(attempts) | stop_before_delay(deadline_s),
        wait=wait_exponential_jitter(multiplier=0.05, max=1.0, jitter=0.1),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                left = deadline_s - (time.monotonic() - started)
                if left < MIN_ATTEMPT_S:
                    raise Transient(f"{last_cause}; deadline reached")
                tries += 1
                budget = min(timeout_s, left)
                try:
                    async with asyncio.timeout(budget):  # a total bound: httpx's timeouts are per phase
                        return await once(budget)
                except TimeoutError:
                    last_cause = f"timeout after {budget:.2f}s"
                    raise Transient(last_cause) from None
                except Transient as exc:
                    last_cause = str(exc)
                    raise
    except Transient as exc:
        log.warning("wechatpay call failed after retries",
                    extra={"fields": {"api": api, "cause": str(exc), "attempts": tries}})
        raise ProviderUnavailable(api, str(exc), tries) from None
    except Unverified as exc:
        log.error("wechatpay answer failed verification", extra={"fields": {"api": api, "cause": str(exc)}})
        raise ProviderUnavailable(api, f"unverified answer: {exc}", tries) from None
    raise AssertionError("unreachable")


async def credentials_for(source: CredentialSource, api: str) -> WeChatCredentials:
    """The merchant's credentials; a sandbox that does not answer /control/keys yet is an unavailable provider."""
    try:
        return await source.get()
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise ProviderUnavailable(api, f"credentials: {type(exc).__name__}") from None

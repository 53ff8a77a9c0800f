"""Idempotency keys for one-tap: the database's unique (user, key) is the truth (Stripe's and the IETF draft's rules)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from pydantic import BaseModel
from tortoise.exceptions import IntegrityError

from app.core.errors import AppError, ValidationFailed
from app.orders.models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
WAIT_FOR_FIRST_S = 10.0
# A record still "running" this long after it was made belongs to a process that died: it may be taken over.
STALE_AFTER = timedelta(seconds=120)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


def request_hash(body: BaseModel) -> str:
    """The body compared for IDEMPOTENCY_KEY_REUSED: the validated request (unknown fields ignored, DESIGN §2),
    as canonical JSON without `wallet_pin` (DESIGN §3)."""
    return _digest(body.model_dump(mode="json", exclude={"wallet_pin"}))


def raw_request_hash(raw: dict[str, Any]) -> str:
    """What records made before `request_hash` hashed (the raw body): such a record still matches its retry."""
    return _digest({k: v for k, v in raw.items() if k != "wallet_pin"})


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise AppError("IDEMPOTENCY_KEY_REQUIRED")
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed.one("Idempotency-Key", "at most 255 characters")
    if not (key.isascii() and key.isprintable()):  # it is stored and compared as text: no control bytes
        raise ValidationFailed.one("Idempotency-Key", "printable ASCII characters only")
    return key


async def begin(user_id: str, key: str, digest: str, *older_digests: str) -> IdempotencyRecord | Replay:
    """Claim the key (a new record, `running`), or return the stored answer of the first request with it.

    Another body → IDEMPOTENCY_KEY_REUSED. The first request still running → wait for it (polling the row)
    up to WAIT_FOR_FIRST_S, then IDEMPOTENCY_KEY_IN_USE.
    """
    deadline = asyncio.get_running_loop().time() + WAIT_FOR_FIRST_S
    delay = 0.02
    while True:
        try:
            return await IdempotencyRecord.create(user_id=user_id, key=key, request_hash=digest, state="running")
        except IntegrityError:
            pass
        existing = await IdempotencyRecord.get_or_none(user_id=user_id, key=key)
        if existing is None:  # the first request failed and let the key go: try to claim it again
            continue
        if existing.created_at < datetime.now(timezone.utc) - KEEP_FOR:
            await IdempotencyRecord.filter(id=existing.id).delete()
            continue
        if existing.request_hash not in (digest, *older_digests):
            raise AppError("IDEMPOTENCY_KEY_REUSED")
        if existing.state == "done":
            return Replay(existing.response_status or 201, existing.response_body or {})
        if existing.created_at < datetime.now(timezone.utc) - STALE_AFTER:
            await IdempotencyRecord.filter(id=existing.id, state="running").delete()
            continue
        if asyncio.get_running_loop().time() >= deadline:
            raise AppError("IDEMPOTENCY_KEY_IN_USE")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def finish(record: IdempotencyRecord, status: int, body: dict[str, Any], order_id: str,
                 connection=None) -> None:
    query = IdempotencyRecord.filter(id=record.id)
    if connection is not None:
        query = query.using_db(connection)
    await query.update(state="done", response_status=status, response_body=body, order_id=order_id)


async def abandon(record: IdempotencyRecord) -> None:
    """A failed attempt stores nothing: the client may retry with the same key."""
    await IdempotencyRecord.filter(id=record.id, state="running").delete()

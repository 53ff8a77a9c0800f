"""Idempotency keys for one-tap: the database's unique (user, key) is the truth (Stripe's and the IETF draft's rules).

A key's record moves `running` (claimed, no order yet) → `ordered` (its order committed, in the order's own
transaction, but not answered yet) → `done` (the answer stored, in the transaction that completes the order).
So one key has one order: a retry never makes a second order while the first lives, and one that finds an
order without its answer finishes that order (app/checkout/service.py) instead of making another. A key whose
order was closed before it was answered (`provider_failed`, `prepay_lost`) is free again: that attempt failed, and
a failed attempt stores nothing (DESIGN §3). Checkout owns this table, so it is checkout that lets such a key go,
when the key comes again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

import orjson
from pydantic import BaseModel
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.core.clock import now_utc
from app.core.errors import AppError
from app.checkout.models import IdempotencyRecord
from app.orders.models import CLOSED, PAID, PAYING, Order
from app.orders.schedule import prepay_due_at

RUNNING, ORDERED, DONE = "running", "ordered", "done"
KEEP_FOR = timedelta(hours=24)
WAIT_FOR_FIRST_S = 10.0
# The first request with a key is done within this (its prepay call gives up after 8 s): a record older than
# this without an answer belongs to a request that died. Taking it over is safe at any age, since every step
# of the first request is conditional on the record; this only spares a live request duplicate work.
FIRST_GONE_AFTER = timedelta(seconds=10)


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Resume:
    """The key's order exists but its answer does not (its request died): finish that order."""

    record_id: int
    order: Order


def request_hash(body: BaseModel) -> str:
    """The body compared for IDEMPOTENCY_KEY_REUSED: the validated request (unknown fields ignored, DESIGN §2),
    as canonical JSON without `wallet_pin` (DESIGN §3)."""
    return _digest(body.model_dump(mode="json", exclude={"wallet_pin"}))


def raw_request_hash(raw: dict[str, Any]) -> str:
    """What records made before `request_hash` hashed (the raw body): such a record still matches its retry."""
    return _digest({k: v for k, v in raw.items() if k != "wallet_pin"})


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def begin(user_id: str, key: str, digest: str, *older_digests: str) -> IdempotencyRecord | Replay | Resume:
    """Claim the key (a new record, `running`), return the stored answer of the first request with it, or the
    key's unanswered order to finish.

    Another body → IDEMPOTENCY_KEY_REUSED. The first request still running → wait for it (polling the row)
    up to WAIT_FOR_FIRST_S, then IDEMPOTENCY_KEY_IN_USE.
    """
    deadline = asyncio.get_running_loop().time() + WAIT_FOR_FIRST_S
    delay = 0.02
    while True:
        try:
            return await IdempotencyRecord.create(user_id=user_id, key=key, request_hash=digest, state=RUNNING)
        except IntegrityError:
            pass
        existing = await IdempotencyRecord.get_or_none(user_id=user_id, key=key)
        if existing is None:  # the first request failed and let the key go: try to claim it again
            continue
        if existing.state == ORDERED and await Order.filter(id=existing.order_id, status=CLOSED).exists():
            # Its order was closed unanswered: that attempt failed and the key is free, whatever this body is.
            await IdempotencyRecord.filter(id=existing.id, state=ORDERED).delete()
            continue
        now = now_utc()
        if existing.created_at < now - KEEP_FOR:
            await IdempotencyRecord.filter(id=existing.id).delete()
            continue
        if existing.request_hash not in (digest, *older_digests):
            raise AppError("IDEMPOTENCY_KEY_REUSED")
        if existing.state == DONE:
            return Replay(existing.response_status or 201, existing.response_body or {})
        if existing.created_at < now - FIRST_GONE_AFTER:
            if existing.state == RUNNING:  # no order was made under it: take the key over
                await IdempotencyRecord.filter(id=existing.id, state=RUNNING).delete()
                continue
            order = await resumable_order(existing)
            if order is not None:
                return Resume(existing.id, order)
        if asyncio.get_running_loop().time() >= deadline:
            raise AppError("IDEMPOTENCY_KEY_IN_USE")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def resumable_order(record: IdempotencyRecord) -> Optional[Order]:
    """The record's order if a retry may finish it: still waiting for its prepay within its grace (the jobs
    have not taken it to close), or paid meanwhile. Otherwise wait: it is being finished or closed."""
    order = await Order.get_or_none(id=record.order_id)
    if order is None:
        return None
    if order.status == PAID:
        return order
    if order.status != PAYING or order.prepay_id is not None:
        return None  # answered or closed meanwhile: the record is done, or gone with the close
    if order.next_query_at != prepay_due_at(order.created_at):
        return None  # the jobs took it: they close it and free the key
    return order


async def bind(record: IdempotencyRecord, order_id: str, connection: BaseDBAsyncClient,
               answer: Optional[dict[str, Any]] = None) -> None:
    """In the order's transaction: tie the key to its order (`ordered`), or store the answer (`done`) when the
    order is complete at once. A key taken over meanwhile (its request was thought dead) rolls the order back."""
    changes: dict[str, Any] = {"state": ORDERED, "order_id": order_id}
    if answer is not None:
        changes.update(state=DONE, response_status=201, response_body=answer)
    if not await IdempotencyRecord.filter(id=record.id, state=RUNNING).using_db(connection).update(**changes):
        raise AppError("IDEMPOTENCY_KEY_IN_USE")


async def finish(record_id: int, answer: dict[str, Any], connection: BaseDBAsyncClient) -> bool:
    """Store the answer of an `ordered` key; of concurrent finishers exactly one does (True)."""
    return bool(await IdempotencyRecord.filter(id=record_id, state=ORDERED).using_db(connection).update(
        state=DONE, response_status=201, response_body=answer))


async def stored(record_id: int) -> Optional[IdempotencyRecord]:
    return await IdempotencyRecord.get_or_none(id=record_id)


async def abandon(record: IdempotencyRecord) -> None:
    """A failed attempt stores nothing: the client may retry with the same key. A key whose order was made stays
    with it (the order is finished by a retry or closed by the jobs, which then frees the key)."""
    await IdempotencyRecord.filter(id=record.id, state=RUNNING).delete()

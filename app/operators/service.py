"""Operator accounts, password login with lockout, and the operator side of token checks (DESIGN.md §6)."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from app.core.errors import AppError, AuthError, ValidationFailed
from app.core.security import AUDIENCE_ADMIN, TokenClaims, new_id, slow_hash, slow_verify
from app.operators import audit
from app.operators.models import ROLES, Operator

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.operators")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class OperatorToken:
    access_token: str
    expires_in: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so they cost the same argon2 time as known ones."""
    return slow_hash(new_id("dummy"))


def operator_view(operator: Operator) -> dict[str, Any]:
    return {"id": operator.id, "username": operator.username, "role": operator.role,
            "created_at": operator.created_at}


async def create_operator(username: str, password: str, role: str = "operator", *,
                          by_operator_id: Optional[str] = None) -> Operator:
    """A new account. Reusing a username is VALIDATION_FAILED on `username`."""
    if role not in ROLES:
        raise ValidationFailed.one("role", f"must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await asyncio.to_thread(slow_hash, password)
    try:
        async with in_transaction() as connection:
            operator = await Operator.create(id=new_id("opr"), username=username, password_hash=password_hash,
                                             role=role, using_db=connection)
            if by_operator_id is not None:
                await audit.record(connection, by_operator_id, "operator.create", "operator", operator.id,
                                   None, operator_view(operator))
    except IntegrityError:
        raise ValidationFailed.one("username", "is taken") from None
    return operator


async def list_operators() -> list[dict[str, Any]]:
    return [operator_view(operator) for operator in await Operator.all().order_by("id")]


def _locked(operator: Operator, now: datetime) -> Optional[AppError]:
    if operator.locked_until is None or operator.locked_until <= now:
        return None
    retry_after = max(1, math.ceil((operator.locked_until - now).total_seconds()))
    return AppError("OPERATOR_LOCKED", headers={"Retry-After": str(retry_after)},
                    locked_until=operator.locked_until.isoformat())


async def _record_failure(operator_id: str, now: datetime) -> Optional[AppError]:
    """Count one failed login in the database (race-safe conditional updates); lock at the fifth in the window."""
    window_start = now - FAILURE_WINDOW
    # A failure outside the current window starts a new one; the condition makes only one of several
    # concurrent failures do that, and the others count inside it.
    started = await Operator.filter(Q(id=operator_id) & (Q(failed_since=None) | Q(failed_since__lt=window_start))
                                    ).update(failed_logins=1, failed_since=now)
    if not started:
        await Operator.filter(id=operator_id).update(failed_logins=F("failed_logins") + 1)
    failures = await Operator.filter(id=operator_id).values_list("failed_logins", flat=True)
    if not failures or failures[0] < MAX_FAILURES:
        return None
    locked_until = now + LOCK_DURATION
    await Operator.filter(id=operator_id).update(locked_until=locked_until, failed_logins=0, failed_since=None)
    log.warning("operator locked", extra={"fields": {"operator_id": operator_id}})
    return AppError("OPERATOR_LOCKED", headers={"Retry-After": str(int(LOCK_DURATION.total_seconds()))},
                    locked_until=locked_until.isoformat())


async def login(deps: Deps, username: str, password: str) -> OperatorToken:
    """Unknown user and wrong password answer alike, after the same argon2 work."""
    now = _now()
    operator = await Operator.get_or_none(username=username)
    if operator is not None and (locked := _locked(operator, now)):
        raise locked
    hashed = operator.password_hash if operator is not None else _dummy_hash()
    verified = await asyncio.to_thread(slow_verify, hashed, password)
    if operator is None or not verified:
        if operator is not None and (locked := await _record_failure(operator.id, now)):
            raise locked
        raise AuthError("OPERATOR_LOGIN_FAILED")
    if operator.failed_logins or operator.failed_since:
        await Operator.filter(id=operator.id).update(failed_logins=0, failed_since=None)
    ttl_s = deps.settings.access_ttl_s
    token, _ = deps.tokens.issue(subject=operator.id, audience=AUDIENCE_ADMIN, kind="access", ttl_s=ttl_s,
                                 session_id=new_id("oss"), extra={"role": operator.role})
    log.info("operator login", extra={"fields": {"operator_id": operator.id}})
    return OperatorToken(token, ttl_s)


async def authenticate(deps: Deps, token: str) -> tuple[TokenClaims, Operator]:
    """An operator's access token, and the account it names (whose current role is what counts)."""
    claims = deps.tokens.decode(token, audience=AUDIENCE_ADMIN, kind="access")
    operator = await Operator.get_or_none(id=claims.subject)
    if operator is None:
        raise AuthError("AUTH_TOKEN_INVALID")
    return claims, operator

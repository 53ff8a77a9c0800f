"""Operator accounts, password login with lockout, and the operator side of token checks (DESIGN.md §6)."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.errors import AppError, AuthError, ValidationFailed
from app.core.lockout import Columns, Lockout
from app.core.security import AUDIENCE_ADMIN, TokenClaims, new_id, slow_hash, slow_verify
from app.core.serialize import view
from app.operators import audit, throttle
from app.operators.models import Operator
from app.operators.schemas import OperatorOut
from app.operators.roles import OPERATOR, ROLES

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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so they cost the same argon2 time as known ones."""
    return slow_hash(new_id("dummy"))


async def create_operator(username: str, password: str, role: str = OPERATOR, *,
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
                                   None, view(OperatorOut, operator))
    except IntegrityError:
        raise ValidationFailed.one("username", "is taken") from None
    return operator


async def list_operators() -> list[dict[str, Any]]:
    return [view(OperatorOut, operator) for operator in await Operator.all().order_by("id")]


def _locked(locked_until: datetime) -> AppError:
    retry_after = max(1, math.ceil((locked_until - now_utc()).total_seconds()))
    return AppError("OPERATOR_LOCKED", headers={"Retry-After": str(retry_after)},
                    locked_until=locked_until.isoformat())


# Five wrong passwords within FAILURE_WINDOW lock the account for LOCK_DURATION (DESIGN §6).
LOCKOUT = Lockout("operator", Operator, Columns(key="id", failures="failed_logins", checks="login_checks",
                                                checks_until="login_checks_until", failed_since="failed_since"),
                  locked=_locked, lock_for=LOCK_DURATION, window=FAILURE_WINDOW, max_failures=MAX_FAILURES)


async def login(deps: Deps, username: str, password: str, source: str) -> OperatorToken:
    """Unknown user and wrong password answer alike, after the same argon2 work.

    The source's limits come first (app/operators/throttle.py), then the account's lockout; a request either
    refuses is answered at once without hashing.
    """
    async with throttle.admitted(deps.redis, source, username) as admission:
        operator = await Operator.get_or_none(username=username)
        if operator is None:
            await asyncio.to_thread(slow_verify, _dummy_hash(), password)
            admission.wrong()
            raise AuthError("OPERATOR_LOGIN_FAILED")
        if operator.locked_until is not None and operator.locked_until > now_utc():
            raise _locked(operator.locked_until)
        async with LOCKOUT.attempt(operator.id) as attempt:
            if not await asyncio.to_thread(slow_verify, operator.password_hash, password):
                admission.wrong()
                await attempt.failed()
                raise AuthError("OPERATOR_LOGIN_FAILED")
            attempt.passed()
            admission.right()
            # Issued while the check still holds its slot: no lock can land between the check and the token.
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

"""Login through WeChat, token pairs, refresh rotation with reuse detection, logout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError

from app.auth.models import LoginSession, User
from app.core import versioned
from app.core.clock import now_utc
from app.core.errors import AuthError
from app.core.security import AUDIENCE_APP, TokenClaims, new_id

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.auth")
_REVOKED_KEY = "auth:revoked:{sid}"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    user: User
    is_new_user: bool


def _issue_pair(deps: Deps, user_id: str, session_id: str) -> tuple[TokenPair, TokenClaims]:
    settings = deps.settings
    access, _ = deps.tokens.issue(subject=user_id, audience=AUDIENCE_APP, kind="access",
                                  ttl_s=settings.access_ttl_s, session_id=session_id)
    refresh, refresh_claims = deps.tokens.issue(subject=user_id, audience=AUDIENCE_APP, kind="refresh",
                                                ttl_s=settings.refresh_ttl_s, session_id=session_id)
    return TokenPair(access, refresh, settings.access_ttl_s), refresh_claims


async def _upsert_user(deps: Deps, openid: str, unionid: str | None, session_key: str) -> tuple[User, bool]:
    now = now_utc()
    user = await User.get_or_none(openid=openid)
    created = False
    if user is None:
        user_id = new_id("usr")
        try:
            user = await User.create(
                id=user_id, openid=openid, unionid=unionid, last_login_at=now,
                session_key_enc=deps.cipher.encrypt(session_key, context=f"session_key:{user_id}"),
            )
            created = True
        except IntegrityError:  # the same person logging in twice at once: the other request created them
            user = await User.get(openid=openid)
    if not created:
        user.session_key_enc = deps.cipher.encrypt(session_key, context=f"session_key:{user.id}")
        user.last_login_at = now
        if unionid:
            user.unionid = unionid
        await user.save(update_fields=["session_key_enc", "last_login_at", "unionid"])
    return user, created


async def login(deps: Deps, code: str) -> LoginResult:
    wx = await deps.miniprogram.code2session(code)
    user, created = await _upsert_user(deps, wx.openid, wx.unionid, wx.session_key)
    session_id = new_id("ses")
    tokens, refresh_claims = _issue_pair(deps, user.id, session_id)
    await LoginSession.create(
        id=session_id, user_id=user.id, current_jti=refresh_claims.jti,
        expires_at=datetime.fromtimestamp(refresh_claims.expires_at, timezone.utc),
    )
    log.info("login", extra={"fields": {"user_id": user.id, "new_user": created}})
    return LoginResult(tokens, user, created)


async def _revoke(deps: Deps, session_id: str, reason: str) -> None:
    await LoginSession.filter(id=session_id, revoked_at=None).update(revoked_at=now_utc(), revoke_reason=reason)
    # Access tokens of the session stop working at once; they expire by themselves after access_ttl_s.
    await deps.redis.set(_REVOKED_KEY.format(sid=session_id), reason, ex=deps.settings.access_ttl_s + 60)


async def refresh(deps: Deps, refresh_token: str) -> TokenPair:
    claims = deps.tokens.decode(refresh_token, audience=AUDIENCE_APP, kind="refresh")
    session = await LoginSession.get_or_none(id=claims.session_id)
    if session is None or session.user_id != claims.subject:
        raise AuthError("AUTH_TOKEN_INVALID")
    if session.revoked_at is not None:
        # An already rotated token of a family revoked for reuse is a reuse too (a concurrent refresh can read the
        # session only after the first reuse revoked it); the family's newest token, or a logged-out family's,
        # is simply invalid.
        reused = session.revoke_reason == "reused" and session.current_jti != claims.jti
        raise AuthError("AUTH_REFRESH_REUSED" if reused else "AUTH_TOKEN_INVALID")
    tokens, new_claims = _issue_pair(deps, claims.subject, session.id)
    rotated = await LoginSession.filter(id=session.id, current_jti=claims.jti, revoked_at=None).update(
        current_jti=new_claims.jti
    )
    if rotated != 1:
        # A refresh token that was already rotated: someone else holds this family. Revoke it whole.
        await _revoke(deps, session.id, "reused")
        log.warning("refresh token reuse; session revoked", extra={"fields": {"session_id": session.id}})
        raise AuthError("AUTH_REFRESH_REUSED")
    return tokens


async def logout(deps: Deps, claims: TokenClaims) -> None:
    await _revoke(deps, claims.session_id, "logout")


async def authenticate(deps: Deps, token: str) -> TokenClaims:
    claims = deps.tokens.decode(token, audience=AUDIENCE_APP, kind="access")
    if await deps.redis.exists(_REVOKED_KEY.format(sid=claims.session_id)):
        raise AuthError("AUTH_TOKEN_INVALID")
    return claims


async def authenticate_reading(deps: Deps, token: str, counters: Callable[[str], list[str]]
                               ) -> tuple[TokenClaims, Optional[versioned.Versions]]:
    """`authenticate`, with the version counters the handler's caches need (`counters(user_id)`) read in the same
    Redis round trip as the deny-list (app/core/versioned.py). If that read fails, the plain check decides and
    the caches get no versions (they then read the database)."""
    claims = deps.tokens.decode(token, audience=AUDIENCE_APP, kind="access")
    try:
        versions = await versioned.read_versions(deps.redis, _REVOKED_KEY.format(sid=claims.session_id),
                                                 counters(claims.subject))
    except Exception as exc:
        log.warning("version counters not read", extra={"fields": {"error": type(exc).__name__}})
        return await authenticate(deps, token), None
    if versions.exists:
        raise AuthError("AUTH_TOKEN_INVALID")
    return claims, versions


async def store_phone(user_id: str, phone_enc: str, phone_masked: str) -> None:
    """The user's bound phone number: encrypted at rest (app/preferences binds it), and its mask for display."""
    await User.filter(id=user_id).update(phone_enc=phone_enc, phone_masked=phone_masked)


async def restore_revocations(deps: Deps) -> int:
    """Rebuild the Redis deny-list from the database (a fresh Redis must not revive logged-out tokens)."""
    since = now_utc() - timedelta(seconds=deps.settings.access_ttl_s + 60)
    sessions = await LoginSession.filter(revoked_at__gte=since).values("id", "revoke_reason")
    for row in sessions:
        await deps.redis.set(_REVOKED_KEY.format(sid=row["id"]), row["revoke_reason"] or "revoked",
                             ex=deps.settings.access_ttl_s + 60)
    return len(sessions)

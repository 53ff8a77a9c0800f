"""Tokens, field encryption at rest, slow hashes and opaque ids."""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.errors import AuthError

JWT_ALGORITHM = "HS256"  # pinned: a token naming any other algorithm (or none) is refused
JWT_ISSUER = "yijian"
AUDIENCE_APP = "yijian-app"
AUDIENCE_ADMIN = "yijian-admin"

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_last_id_value = 0
_id_lock = threading.Lock()


def new_id(prefix: str) -> str:
    """An opaque public id that sorts by creation time (48-bit ms clock + 80 random bits, Crockford base32).

    Within one process ids are strictly increasing, even within a millisecond (ULID's monotonic rule), so
    "newest first" lists ordered by id are exact.
    """
    global _last_id_value
    with _id_lock:
        value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
        if value <= _last_id_value:
            value = _last_id_value + 1
        _last_id_value = value
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return f"{prefix}_{''.join(reversed(chars))}"


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    kind: str  # "access" | "refresh"
    jti: str
    session_id: str
    expires_at: int
    raw: dict[str, Any]


class TokenCodec:
    """Issues and checks our JWTs: algorithm pinned, exp/iat/iss/aud/jti/sub all required."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, *, subject: str, audience: str, kind: str, ttl_s: int, session_id: str,
              extra: dict[str, Any] | None = None) -> tuple[str, TokenClaims]:
        now = int(time.time())
        claims = {
            "iss": JWT_ISSUER, "aud": audience, "sub": subject, "typ": kind,
            "jti": uuid.uuid4().hex, "sid": session_id, "iat": now, "exp": now + ttl_s,
        }
        if extra:
            claims.update(extra)
        token = jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM)
        return token, TokenClaims(subject, kind, claims["jti"], session_id, claims["exp"], claims)

    def decode(self, token: str, *, audience: str, kind: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != JWT_ALGORITHM:
                raise AuthError("AUTH_TOKEN_INVALID")
            claims = jwt.decode(
                token, self._secret, algorithms=[JWT_ALGORITHM], audience=audience, issuer=JWT_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "jti", "sub"]}, leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("AUTH_TOKEN_EXPIRED") from None
        except jwt.PyJWTError:
            raise AuthError("AUTH_TOKEN_INVALID") from None
        if claims.get("typ") != kind or not isinstance(claims.get("sid"), str):
            raise AuthError("AUTH_TOKEN_INVALID")
        return TokenClaims(claims["sub"], kind, claims["jti"], claims["sid"], claims["exp"], claims)


class FieldCipher:
    """AES-256-GCM for values kept encrypted at rest (session_key, bound phone number)."""

    _VERSION = "v1"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        version, _, payload = token.partition(":")
        if version != self._VERSION:
            raise ValueError("unknown ciphertext version")
        raw = base64.b64decode(payload)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


# argon2id with the library's defaults (64 MiB, 3 passes): deliberately slow for PINs and passwords.
_hasher = PasswordHasher()


def slow_hash(secret: str) -> str:
    return _hasher.hash(secret)


def slow_verify(hashed: str, secret: str) -> bool:
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def random_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)

"""JWT checks: pinned algorithm, claims, kinds and expiry (DESIGN.md §2, §3)."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import orjson
import pytest

from tests.factories import assert_error, bearer, login


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _claims(tokens: dict, server) -> dict:
    return jwt.decode(tokens["access_token"], server.settings.jwt_secret, algorithms=["HS256"], audience="yijian-app")


async def test_access_token_claims_are_complete(client, server):
    tokens = await login(client)
    claims = _claims(tokens, server)
    assert claims["iss"] == "yijian"
    assert claims["aud"] == "yijian-app"
    assert claims["sub"] == tokens["user"]["id"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["jti"] and claims["typ"] == "access"
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "HS256"


async def test_missing_token_is_auth_token_missing(client):
    assert_error(await client.get("/api/v1/wallet"), 401, "AUTH_TOKEN_MISSING")


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer not-a-jwt", "Token x.y.z"])
async def test_malformed_authorization_header_is_invalid(client, header):
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": header}), 401, "AUTH_TOKEN_INVALID")


async def test_tampered_token_is_invalid(client):
    tokens = await login(client)
    head, payload, signature = tokens["access_token"].split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "usr_SOMEBODYELSE"
    forged = f"{head}.{_b64(claims)}.{signature}"
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {forged}"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_alg_none_token_is_invalid(client, server):
    tokens = await login(client)
    claims = _claims(tokens, server)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {unsigned}"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_other_algorithm_with_the_right_secret_is_invalid(client, server):
    tokens = await login(client)
    token = jwt.encode(_claims(tokens, server), server.settings.jwt_secret, algorithm="HS512")
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {token}"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_expired_token_is_auth_token_expired(client, server):
    tokens = await login(client)
    claims = _claims(tokens, server)
    claims.update(iat=int(time.time()) - 2000, exp=int(time.time()) - 1000)
    token = jwt.encode(claims, server.settings.jwt_secret, algorithm="HS256")
    error = assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {token}"}),
                         401, "AUTH_TOKEN_EXPIRED")
    assert error["retryable"] is False


@pytest.mark.parametrize("change", [
    {"aud": "yijian-admin"}, {"iss": "somebody"}, {"jti": None}, {"sub": None}, {"typ": "refresh"},
])
async def test_wrong_or_missing_claims_are_invalid(client, server, change):
    tokens = await login(client)
    claims = _claims(tokens, server)
    for key, value in change.items():
        if value is None:
            claims.pop(key)
        else:
            claims[key] = value
    token = jwt.encode(claims, server.settings.jwt_secret, algorithm="HS256")
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {token}"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_token_signed_with_another_secret_is_invalid(client, server):
    tokens = await login(client)
    token = jwt.encode(_claims(tokens, server), uuid.uuid4().hex * 2, algorithm="HS256")
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {token}"}),
                 401, "AUTH_TOKEN_INVALID")


async def test_refresh_token_is_not_an_access_token_and_back(client):
    tokens = await login(client)
    assert_error(await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
                 401, "AUTH_TOKEN_INVALID")
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}),
                 401, "AUTH_TOKEN_INVALID")
    assert (await client.get("/api/v1/wallet", headers=bearer(tokens))).status_code == 200

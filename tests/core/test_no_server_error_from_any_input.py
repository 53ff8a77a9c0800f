"""No input is a server error (issue 13): every route of the app, walked from its router, gets NUL characters in
every string of its body, in its query and its path, and query values longer than any column; each answer is a
4xx, and the API's own routes name the field (`VALIDATION_FAILED`). PostgreSQL is where a NUL blows up."""

from __future__ import annotations

import re
import uuid
from typing import Any, Iterator

import pytest

from app.core.http import WECHAT_FACING, encode_cursor
from tests.checkout.helpers import ADDRESS, items, one_tap, product
from tests.servers import client_from, other_loopback_address
from tests.factories import (assert_error, bearer, login, make_operator, make_promotion, operator_headers,
                             unique_label)

NUL = "a\x00b"
# Every query parameter a route of this API reads, and some it might one day.
QUERY_NAMES = ("cursor", "limit", "status", "flagged", "verdict", "out_trade_no", "category", "action", "target_id",
               "enabled", "kind", "code", "date", "from", "to", "format")
_PARAM = re.compile(r"<([a-z_]+)(?::([^>]*))?>")


@pytest.fixture(scope="module")
async def world(client):
    """Real records for every kind of path id, so each request reaches as deep into its handler as it can."""
    label = unique_label("walker")
    tokens = await login(client, label)
    who = {"headers": bearer(tokens), "user_id": tokens["user"]["id"]}
    assert (await client.post("/api/v1/me/addresses", json=ADDRESS, headers=who["headers"])).status_code == 201
    credit = await client.post(f"/admin/v1/wallets/{who['user_id']}/credit", json={"amount_fen": 100_000,
                               "reason": "walk"}, headers=await operator_headers(client))
    assert credit.status_code == 201, credit.text
    tea = await product(client, price_fen=500, stock=100)
    made = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})
    assert made.status_code == 201, made.text
    addresses = (await client.get("/api/v1/me/addresses", headers=who["headers"])).json()["items"]
    promotion = await make_promotion(client, enabled=False)
    _, admin = await make_operator(client, "admin")
    return {
        "label": label, "who": who, "admin": admin,
        "ids": {"order_id": made.json()["order"]["id"], "product_id": tea["id"], "address_id": addresses[0]["id"],
                "promotion_id": promotion["id"], "user_id": who["user_id"]},
    }


async def _fresh_session(client, world: dict) -> None:
    """A new session for the walk's shopper: the previous walk ended by logging it out."""
    world["who"]["headers"] = bearer(await login(client, world["label"]))


@pytest.fixture(scope="module")
async def walker(server):
    """The walk's own client, from a loopback address of its own: the hundreds of refused notifications it sends
    use up that source's allowance in the notification log (app.notify.journal), not 127.0.0.1's."""
    async with client_from(server.base_url, other_loopback_address(), timeout=30.0) as http:
        yield http


def _routes(server) -> list[tuple[str, str]]:
    """(method, path pattern) of every route the running app has, the ones added after this test included."""
    found = set()
    for route in server.app.router.routes:
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, "/" + route.path))
    assert len(found) > 60  # the walk really covers the app
    # Logging out ends the session the walk runs with; it goes last.
    return sorted(found, key=lambda r: (r[1] == "/api/v1/auth/logout", r[1], r[0]))


def _concrete(path: str, ids: dict[str, str], value: str | None = None) -> str:
    """The pattern with a real id for each parameter (or `value`, already URL-encoded, for all of them)."""
    return _PARAM.sub(lambda m: value if value is not None else ids.get(m.group(1), "x" + uuid.uuid4().hex[:12]),
                      path)


def _headers(world: dict, path: str) -> dict[str, str]:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if path.startswith("/admin/"):
        headers.update(world["admin"])
    elif not path.startswith("/sandbox/"):
        headers.update(world["who"]["headers"])
    return headers


def _resolved(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example(spec: dict, schema: dict, path: str, text: str, nul_at: str | None) -> Any:
    """A value of `schema` whose strings are `text`, except the one at `nul_at` (a dotted path), which is NUL."""
    schema = _resolved(spec, schema)
    for choice in schema.get("anyOf", []) + schema.get("oneOf", []):
        if _resolved(spec, choice).get("type") != "null":
            return _example(spec, choice, path, text, nul_at)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _example(spec, sub, f"{path}.{name}".lstrip("."), text, nul_at)
                for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(spec, schema.get("items", {}), f"{path}.0", text, nul_at)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return NUL if nul_at in (None, path) else text


def _string_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for name, sub in value.items():
            yield from _string_paths(sub, f"{path}.{name}".lstrip("."))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _string_paths(sub, f"{path}.{index}")
    elif isinstance(value, str):
        yield path


def _body_schema(spec: dict, method: str, path: str) -> dict | None:
    operation = spec["paths"].get(_PARAM.sub(lambda m: "{" + m.group(1) + "}", path), {}).get(method.lower(), {})
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return media["schema"] if media else None


def _not_a_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


def _no_error_logged(server, since: int) -> None:
    """Nothing the walk sent failed inside a handler: no unhandled error, no notification left unlogged."""
    errors = [line for line in server.logs.lines[since:]
              if '"level":"ERROR"' in line and any(f'"logger":"{name}"' in line
                                                   for name in ("yijian.http", "yijian.notify"))]
    assert errors == [], errors[:3]


async def test_nul_in_any_string_of_a_body_is_refused_naming_the_field(walker, server, world):
    await _fresh_session(walker, world)
    since = len(server.logs.lines)
    spec = (await walker.get("/openapi.json")).json()
    walked = 0
    for method, pattern in _routes(server):
        path = _concrete(pattern, world["ids"])
        schema = _body_schema(spec, method, pattern)
        if schema is None and method in ("GET", "DELETE"):
            continue  # the query walk below covers them
        if schema is None:  # no documented body: anything sent must still not be a server error
            for sent in ({"json": {"x": NUL, "code": NUL, "prepay_id": NUL}}, {"content": NUL.encode()}):
                response = await walker.request(method, path, headers=_headers(world, pattern), **sent)
                _not_a_server_error(response, f"{method} {pattern} {sent}")
            continue
        every = _example(spec, schema, "", "ok", None)
        for nul_at in list(_string_paths(every)) or [None]:
            body = _example(spec, schema, "", "ok", nul_at) if nul_at else {**every, "unknown": NUL}
            response = await walker.request(method, path, json=body, headers=_headers(world, pattern))
            error = assert_error(response, 422, "VALIDATION_FAILED")
            assert error["fields"][0]["field"] == (nul_at or "unknown"), (method, pattern, error)
            walked += 1
    assert walked > 30
    _no_error_logged(server, since)


async def test_nul_or_an_overlong_value_in_any_query_or_path_is_never_a_server_error(walker, server, world):
    await _fresh_session(walker, world)
    since = len(server.logs.lines)
    overlong = ("A" * 300, encode_cursor("ord_" + "Z" * 100), "x" * 33, "v" * 65)
    for method, pattern in _routes(server):
        own = not pattern.startswith(WECHAT_FACING)
        path = _concrete(pattern, world["ids"])
        for name in QUERY_NAMES:
            response = await walker.request(method, path, params={name: NUL}, headers=_headers(world, pattern))
            _not_a_server_error(response, f"{method} {pattern}?{name}=NUL")
            if own and response.status_code != 404:
                error = assert_error(response, 422, "VALIDATION_FAILED")
                assert error["fields"] == [{"field": name, "reason": "must not contain a NUL character"}]
            for value in overlong:
                response = await walker.request(method, path, params={name: value}, headers=_headers(world, pattern))
                _not_a_server_error(response, f"{method} {pattern}?{name}={value[:10]}…")
        if "<" in pattern:
            response = await walker.request(method, _concrete(pattern, {}, "a%00b"), headers=_headers(world, pattern))
            _not_a_server_error(response, f"{method} {pattern} with NUL in the path")
    await walker.delete("/sandbox/wechat/control/faults")  # whatever the walk may have switched on
    _no_error_logged(server, since)


@pytest.mark.parametrize("path,name,value", [
    ("/admin/v1/notifications", "out_trade_no", "Y" * 33),
    ("/admin/v1/notifications", "verdict", "v" * 65),
    ("/admin/v1/audit", "action", "a" * 65),
    ("/admin/v1/audit", "target_id", "t" * 65),
    ("/admin/v1/orders", "cursor", encode_cursor("ord_" + "Z" * 40)),
    ("/admin/v1/notifications", "cursor", "b3JkXyc7LS0"),  # a cursor that decodes to something no id can be
])
async def test_a_filter_longer_than_its_column_is_a_validation_error(client, world, path, name, value):
    error = assert_error(await client.get(path, params={name: value}, headers=world["admin"]), 422,
                         "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [name]


async def test_a_product_category_longer_than_its_column_is_a_validation_error(client, world):
    await _fresh_session(client, world)
    response = await client.get("/api/v1/products", params={"category": "c" * 65}, headers=world["who"]["headers"])
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["category"]


async def test_operator_login_with_nul_is_a_validation_error_on_the_field(client):
    for field in ("username", "password"):
        body = {"username": "ops", "password": "correct horse battery staple", field: "ops\x00"}
        error = assert_error(await client.post("/admin/v1/auth/login", json=body), 422, "VALIDATION_FAILED")
        assert error["fields"] == [{"field": field, "reason": "must not contain a NUL character"}]


async def test_nul_in_a_nested_field_or_key_names_its_path(client, world):
    await _fresh_session(client, world)
    address = {**ADDRESS, "detailInfo": "体育西路\x001号"}
    error = assert_error(await client.post("/api/v1/me/addresses", json=address, headers=world["who"]["headers"]),
                         422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "detailInfo", "reason": "must not contain a NUL character"}]
    promotion = {"name": "满减", "kind": "amount_off", "amount_off_fen": 100, "conditions": {"cities": ["广\x00州"]}}
    error = assert_error(await client.post("/admin/v1/promotions", json=promotion, headers=world["admin"]),
                         422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "conditions.cities.0", "reason": "must not contain a NUL character"}]
    promotion["conditions"] = {"ci\x00ties": ["广州"]}
    error = assert_error(await client.post("/admin/v1/promotions", json=promotion, headers=world["admin"]),
                         422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "conditions.ci\\u0000ties", "reason": "must not contain a NUL character"}]


async def test_a_deeply_nested_body_is_not_a_server_error(client, world):
    deep = b'{"code":' + b"[" * 1000 + b'"\\u0000"' + b"]" * 1000 + b"}"
    response = await client.post("/api/v1/auth/login", content=deep, headers={"Content-Type": "application/json"})
    assert_error(response, 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("key", ["ключ-1".encode(), b"key\x7f1", "caf\u00e9".encode("latin-1")])
async def test_an_idempotency_key_that_is_not_printable_ascii_is_a_validation_error(client, world, key):
    await _fresh_session(client, world)
    tea = await product(client, price_fen=300, stock=5)
    headers = {**world["who"]["headers"], "Idempotency-Key": key, "Content-Type": "application/json"}
    body = b'{"items":[{"product_id":"%s","quantity":1}],"payment_method":"wallet"}' % tea["id"].encode()
    error = assert_error(await client.post("/api/v1/checkout/one-tap", content=body, headers=headers), 422,
                         "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["Idempotency-Key"]
    refund = await client.post(f"/admin/v1/orders/{world['ids']['order_id']}/refund",
                               json={"amount_fen": 1, "reason": "r"}, headers={**world["admin"], "Idempotency-Key": key})
    error = assert_error(refund, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["Idempotency-Key"]


async def test_a_fresh_session_still_works_after_the_walk(client):
    """The walk logs its shopper out last; nothing it sent broke the server for anyone else."""
    tokens = await login(client)
    response = await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200

"""The HTTP conventions every route shares (DESIGN.md §2): error shape, request ids, size limit, docs, health."""

from __future__ import annotations

import os

import httpx
from sanic import Sanic

from app.core import http
from tests.servers import ServedApp, free_port
from tests.factories import assert_error, user_headers


async def test_an_id_no_record_can_have_is_not_found(client):
    """Too long, or not made of an id's characters: 404 like any unknown id, never a 500 from the database."""
    headers = await user_headers(client)
    for order_id in ("o" * 41, "%C3%B0%24%F2%8A%AC%98%0A", "ord 1", "ord_" + "Z" * 26):
        assert_error(await client.get(f"/api/v1/orders/{order_id}", headers=headers), 404, "NOT_FOUND")
        assert_error(await client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers), 404, "NOT_FOUND")
    assert_error(await client.get("/api/v1/me/addresses/" + "a" * 41, headers=headers), 404, "NOT_FOUND")
    assert_error(await client.get("/api/v1/products/" + "p" * 41), 404, "NOT_FOUND")
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/orders/{order_id}" in spec["paths"]


async def test_unknown_route_is_not_found_in_the_contract_shape(client):
    error = assert_error(await client.get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    assert error["message"] == "内容不存在"


async def test_wrong_method_is_method_not_allowed(client):
    assert_error(await client.get("/api/v1/auth/login"), 405, "METHOD_NOT_ALLOWED")


async def test_body_over_one_mebibyte_is_payload_too_large(client):
    response = await client.post("/api/v1/auth/login", content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                                 headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_that_is_not_json_is_malformed_json(client):
    response = await client.post("/api/v1/auth/login", content=b"{code: nope",
                                 headers={"Content-Type": "application/json"})
    assert_error(response, 400, "MALFORMED_JSON")


async def test_json_that_is_not_an_object_is_a_validation_error(client):
    error = assert_error(await client.post("/api/v1/auth/login", json=[1, 2]), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "body", "reason": "must be a JSON object"}]


async def test_unknown_fields_are_ignored_and_wrong_types_named(client):
    error = assert_error(await client.post("/api/v1/auth/login", json={"code": 42, "extra": True}),
                         422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["code"]


async def test_request_id_is_echoed_or_made(client):
    sent = await client.get("/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert sent.headers["x-request-id"] == "trace-abc.123"
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    insane = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert insane.headers["x-request-id"] != "bad id with spaces"


async def test_errors_carry_the_request_id_the_client_sent(client):
    response = await client.get("/api/v1/nothing", headers={"X-Request-ID": "client-42"})
    assert response.json()["error"]["request_id"] == "client-42"


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"},
                            "backends": _backends_of_this_run()}


def _backends_of_this_run() -> dict[str, str]:
    """What the environment asked for (scripts/test, .ci/run): PostgreSQL and Redis when their URLs are set."""
    database_url, redis_url = os.environ.get("YIJIAN_DATABASE_URL"), os.environ.get("YIJIAN_REDIS_URL")
    return {"database": "postgres" if database_url and database_url.startswith("postgres") else "sqlite",
            "redis": "real" if redis_url else "stand-in"}


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _values(node, key: str) -> list:
    if isinstance(node, dict):
        return ([node[key]] if key in node else []) + [v for value in node.values() for v in _values(value, key)]
    if isinstance(node, list):
        return [v for value in node for v in _values(value, key)]
    return []


def _resolved(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


async def test_every_reference_in_the_openapi_documents_resolves(client):
    for url in ("/openapi.json", "/docs/openapi.json"):
        spec = (await client.get(url)).json()
        schemas = spec.get("components", {}).get("schemas", {})
        refs = set(_refs(spec))
        assert refs, url  # the nested models (addresses in prefill, items in one-tap ...) are referenced
        for ref in sorted(refs):
            assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, (url, ref)
        assert "$defs" not in str(spec)
        # OpenAPI 3.0: exclusiveMinimum/Maximum are booleans beside minimum/maximum, never numbers (3.1's form).
        assert not [v for v in _values(spec, "exclusiveMinimum") + _values(spec, "exclusiveMaximum")
                    if not isinstance(v, bool)], url
        assert not _values(spec, "const"), url  # 3.1's keyword (pydantic's one-value Literal): 3.0 has enum


async def test_openapi_document_lists_the_contract_paths(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/wallet"):
        assert path in spec["paths"], path
    def body_schema(path: str, method: str) -> dict:
        media = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        return _resolved(spec, media["schema"])

    assert "code" in body_schema("/api/v1/auth/login", "post")["properties"]
    # Bodies of routes behind the login guard are documented too, once each, with their fields.
    assert "current_pin" in body_schema("/api/v1/wallet/pin", "put")["properties"]
    address = body_schema("/api/v1/me/addresses", "post")
    assert "detail" in address["properties"] and "model_config" not in str(address)
    assert spec["paths"]["/api/v1/me/addresses"]["post"]["security"] == [{"bearer": []}]
    one_tap = body_schema("/api/v1/checkout/one-tap", "post")
    items = one_tap["properties"]["items"]
    assert "product_id" in str(_resolved(spec, items["anyOf"][0]["items"] if "anyOf" in items else items["items"]))
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]



async def test_every_route_of_the_api_and_the_console_documents_its_answer(client):
    """Each answer is made through its response model, which the document names (204s have no body)."""
    spec = (await client.get("/openapi.json")).json()
    undocumented = []
    for path, operations in spec["paths"].items():
        if not path.startswith(("/api/", "/admin/v1/")):
            continue
        for method, operation in operations.items():
            answers = {status: answer for status, answer in operation["responses"].items() if status.startswith("2")}
            if not answers or any(status != "204" and "$ref" not in str(answer.get("content"))
                                  for status, answer in answers.items()):
                undocumented.append(f"{method.upper()} {path}")
    assert not undocumented, undocumented

async def test_access_log_has_one_line_per_request_with_route_status_and_latency(client, server):
    response = await client.get("/api/v1/wallet", headers={**await user_headers(client), "X-Request-ID": "log-me-1"})
    assert response.status_code == 200
    lines = [line for line in server.logs.lines if '"request_id":"log-me-1"' in line and '"msg":"request"' in line]
    assert len(lines) == 1
    assert '"route":"/api/v1/wallet"' in lines[0]
    assert '"status":200' in lines[0]
    assert '"latency_ms":' in lines[0]


async def test_unexpected_exception_is_internal_error_without_details():
    app = Sanic(f"boom_{free_port()}", configure_logging=False)
    http.install(app)

    @app.get("/boom")
    async def boom(request):
        raise RuntimeError("database password is hunter2")

    served = await ServedApp(app).start()
    try:
        async with httpx.AsyncClient() as plain:
            response = await plain.get(f"{served.origin}/boom")
    finally:
        await served.stop()
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert error["retryable"] is True

"""The HTTP conventions every route shares (DESIGN.md §2): error shape, request ids, size limit, docs, health."""

from __future__ import annotations

import httpx
from sanic import Sanic

from app.core import http
from tests.servers import ServedApp, free_port
from tests.factories import assert_error, user_headers


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
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_openapi_document_lists_the_contract_paths(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/wallet"):
        assert path in spec["paths"], path
    login_body = spec["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]
    assert "code" in str(login_body)
    # Bodies of routes behind the login guard are documented too, once each, with their fields.
    pin_body = spec["paths"]["/api/v1/wallet/pin"]["put"]["requestBody"]["content"]["application/json"]
    assert "current_pin" in str(pin_body)
    address = spec["paths"]["/api/v1/me/addresses"]["post"]
    assert "detail" in str(address["requestBody"]) and "model_config" not in str(address["requestBody"])
    assert address["security"] == [{"bearer": []}]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


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

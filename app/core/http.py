"""HTTP plumbing shared by every blueprint: request ids, JSON bodies, validation, errors, pagination, access log."""

from __future__ import annotations

import base64
import functools
import logging
import re
import time
import uuid
from typing import Any, Callable, TypeVar

import orjson
import pydantic
from sanic import Request, Sanic
from sanic.exceptions import (
    MethodNotAllowed,
    NotFound as SanicNotFound,
    PayloadTooLarge,
    SanicException,
)
from sanic.response import HTTPResponse
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Component
from tortoise.exceptions import ValidationError as ColumnRefused

from app.core.errors import AppError, ValidationFailed
from app.core.serialize import dumps

log = logging.getLogger("yijian.http")
access_log = logging.getLogger("yijian.access")

# A path's id segment: what our ids are made of (`ord_` + 26 ULID characters ...), at most a column's 40.
# Anything else is no route at all (404 NOT_FOUND), never a query with a value the column cannot hold.
ID = r"[A-Za-z0-9_]{1,40}"
_ID_RE = re.compile(f"^{ID}$")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
Model = TypeVar("Model", bound=pydantic.BaseModel)
# The WeChat-facing routes answer in WeChat's own formats (DESIGN.md §2), never the API's error shape, so the
# API's query check leaves them alone (what the notify routes store is made safe where it is stored).
WECHAT_FACING = ("/notify/", "/sandbox/")
NUL_REASON = "must not contain a NUL character"
_MAX_NUL_FIELDS = 20  # a body of a million NULs gets an answer of a few lines, not a million
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_IDEMPOTENCY_KEY_LENGTH = 255  # the column's


def request_id(request: Request) -> str:
    """The request's id: the client's `X-Request-ID` when it is sane, otherwise a fresh one."""
    rid = getattr(request.ctx, "request_id", None)
    if rid is None:
        sent = request.headers.get("x-request-id", "")
        rid = sent if _REQUEST_ID_RE.match(sent) else uuid.uuid4().hex
        request.ctx.request_id = rid
    return rid


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    return HTTPResponse(dumps(body), status=status, headers=headers, content_type="application/json")


def no_content() -> HTTPResponse:
    return HTTPResponse(status=204)


def error_response(request: Request, error: AppError) -> HTTPResponse:
    return json(error.to_body(request_id(request)), status=error.status, headers=error.headers)


def read_json(request: Request) -> Any:
    """The body as JSON; an empty body is an empty object. Not JSON → MALFORMED_JSON; a NUL in any of its
    strings or keys → VALIDATION_FAILED naming each such field (PostgreSQL cannot store a NUL)."""
    raw = request.body
    if not raw or not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise AppError("MALFORMED_JSON") from None
    refused = nul_fields(data)
    if refused:
        raise ValidationFailed([{"field": name, "reason": NUL_REASON} for name in refused])
    return data


def nul_fields(data: Any) -> list[str]:
    """Dotted paths (`items.0.name`) of the strings in `data` that hold a NUL, keys included, in document
    order and at most _MAX_NUL_FIELDS. Iterative: JSON may nest deeper than Python's recursion limit."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(found) < _MAX_NUL_FIELDS:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path or "body")
        elif isinstance(value, dict):
            for key, sub in reversed(list(value.items())):
                name = f"{path}.{key}" if path else key
                # A key with a NUL is itself the refused field, named with the NUL written out.
                stack.append((name.replace("\x00", "\\u0000"), "\x00") if "\x00" in key else (name, sub))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), value[index])
                         for index in reversed(range(len(value))))
    return found


def pydantic_fields(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as the contract's `fields`: dotted paths (`items.0.quantity`) and a reason."""
    fields = []
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if not str(part).startswith("function-")]
        reason = err["msg"]
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, "):]
        fields.append({"field": ".".join(loc) or "body", "reason": reason})
    return fields


def parse(model: type[Model], data: Any) -> Model:
    if not isinstance(data, dict):
        raise ValidationFailed.one("body", "must be a JSON object")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(pydantic_fields(exc)) from None


def json_doc(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The OpenAPI content of a JSON body or answer: a reference to `model` under components/schemas (its nested
    models land there too), so every `$ref` resolves. Given the bare model, sanic-ext inlines it and leaves
    its nested models' `#/$defs/...` references dangling (sanic-ext issue #152)."""
    return {"application/json": {"schema": Component(model)}}


def keep_openapi(wrapped: Callable, wrapper: Callable) -> Callable:
    """Let a decorator's wrapper keep what sanic-ext documented on the function it wraps (keyed by function)."""
    store = OperationStore()
    if wrapped in store:
        store[wrapper] = store[wrapped]
    return wrapper


def body(model: type[pydantic.BaseModel]) -> Callable:
    """Parse and validate the JSON body into `model`, passed to the handler as `body`; documents it in OpenAPI."""

    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            kwargs["body"] = parse(model, read_json(request))
            return await handler(request, *args, **kwargs)

        return openapi.definition(body=json_doc(model))(keep_openapi(handler, wrapper))

    return decorator


def idempotency_key(request: Request) -> str:
    """The `Idempotency-Key` header of a one-tap or a refund: required, 1–255 printable ASCII characters once
    trimmed (it is stored and compared as text: no control bytes)."""
    key = request.headers.get("idempotency-key")
    if not key or not key.strip():
        raise AppError("IDEMPOTENCY_KEY_REQUIRED")
    key = key.strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationFailed.one("Idempotency-Key", f"at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    if not (key.isascii() and key.isprintable()):
        raise ValidationFailed.one("Idempotency-Key", "printable ASCII characters only")
    return key


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The id a cursor stands for; anything that does not decode to an id (`ID`) is VALIDATION_FAILED."""
    if not cursor:
        return None
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        value = ""
    if not _ID_RE.match(value):
        raise ValidationFailed.one("cursor", "is not a cursor this API gave out")
    return value


def page_params(request: Request) -> tuple[int, str | None]:
    """`?limit=` (default 20, 1..100) and the decoded `?cursor=`."""
    raw = request.args.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationFailed.one("limit", "must be an integer") from None
    if not 1 <= limit <= 100:
        raise ValidationFailed.one("limit", "must be between 1 and 100")
    return limit, decode_cursor(request.args.get("cursor"))


def page(items: list[Any], limit: int, last_key: Callable[[Any], str]) -> dict[str, Any]:
    """Given up to limit+1 rows, the contract's `{"items", "next_cursor"}`."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode_cursor(last_key(items[-1])) if more and items else None}


def _sanic_error(exc: SanicException) -> AppError:
    if isinstance(exc, SanicNotFound):
        return AppError("NOT_FOUND")
    if isinstance(exc, MethodNotAllowed):
        return AppError("METHOD_NOT_ALLOWED")
    if isinstance(exc, PayloadTooLarge):
        return AppError("PAYLOAD_TOO_LARGE")
    by_status = {401: "AUTH_TOKEN_INVALID", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "RATE_LIMITED"}
    return AppError(by_status.get(exc.status_code, "BAD_REQUEST"))


def refuse_nul_in_query(request: Request) -> None:
    """A NUL in a query parameter's name or value → VALIDATION_FAILED on that parameter, before any handler."""
    refused = [name for name, value in request.get_query_args(keep_blank_values=True)
               if "\x00" in name or "\x00" in value]
    if refused:
        names = dict.fromkeys(name.replace("\x00", "\\u0000") for name in refused)
        raise ValidationFailed([{"field": name, "reason": NUL_REASON} for name in names])


def column_refused(exc: ColumnRefused) -> ValidationFailed | None:
    """Tortoise refuses a value its column cannot hold (a filter longer than the column, say) before any SQL:
    that is the caller's input, so VALIDATION_FAILED on the field, never the value (it may be anything)."""
    field, _, detail = str(exc).partition(": ")
    if not _FIELD_NAME.match(field):
        return None
    too_long = re.search(r" > (\d+)$", detail)
    return ValidationFailed.one(field, f"at most {too_long.group(1)} characters" if too_long
                                else "is not a value this field can hold")


def drop_oauth2_redirect(app: Sanic) -> None:
    """sanic-ext's `/docs/oauth2-redirect.html` downloads its page from a CDN on the event loop, blocking every
    request while it waits, and fails with a 500 where the CDN cannot be reached. yijian has no OAuth2 flow
    for it to serve: the route answers 404 NOT_FOUND (call after the routes exist, before they are shielded)."""

    async def not_found(request: Request, **_: Any) -> HTTPResponse:
        raise AppError("NOT_FOUND")

    for route in app.router.routes:
        if route.name.endswith(".openapi.oauth2-redirect"):
            route.handler = not_found


def install(app: Sanic) -> None:
    """Request ids, the access log, the checks every query gets and the one error handler."""

    @app.on_request
    async def _check_query(request: Request) -> None:
        if "%00" in request.path or "\x00" in request.path:  # no resource is named with a NUL (file routes fail on one)
            raise AppError("NOT_FOUND")
        if not request.path.startswith(WECHAT_FACING):
            refuse_nul_in_query(request)

    @app.signal("http.lifecycle.request")
    async def _begin(request: Request) -> None:
        request.ctx.started = time.perf_counter()
        request_id(request)

    @app.signal("http.lifecycle.response")
    async def _end(request: Request, response: HTTPResponse) -> None:
        rid = request_id(request)
        response.headers["X-Request-ID"] = rid
        started = getattr(request.ctx, "started", None)
        latency_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        route = request.route.path if request.route else None
        access_log.info(
            "request",
            extra={"fields": {
                "request_id": rid, "method": request.method, "route": f"/{route}" if route is not None else None,
                "path": request.path, "status": response.status, "latency_ms": latency_ms,
            }},
        )

    @app.exception(Exception)
    async def _handle(request: Request, exc: Exception) -> HTTPResponse:
        if isinstance(exc, AppError):
            return error_response(request, exc)
        if isinstance(exc, SanicException) and (exc.status_code or 500) < 500:
            return error_response(request, _sanic_error(exc))
        refused = column_refused(exc) if isinstance(exc, ColumnRefused) else None
        if refused is not None:
            log.warning("value refused by its column", extra={"fields": {
                "request_id": request_id(request), "field": refused.details["fields"][0]["field"]}})
            return error_response(request, refused)
        log.error("unhandled error", exc_info=exc, extra={"fields": {"request_id": request_id(request)}})
        return error_response(request, AppError("INTERNAL_ERROR"))

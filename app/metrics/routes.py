"""`GET /metrics` (Prometheus text format) behind DESIGN.md §6.3's access rule, and the per-request counting.

Who may read it: a caller whose connection comes from a loopback address (`request.ip`, the TCP peer) and that
was not forwarded by a proxy, or anyone with `Authorization: Bearer <YIJIAN_METRICS_TOKEN>`. Anyone else is
answered `404 NOT_FOUND`, as if there were no such page. Forwarding headers are never trusted to grant access;
their presence takes it away, since a proxy on this host makes every outside caller look local
(docs/DECISIONS.md, "Who may read /metrics").
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic_ext import openapi

from app.core import metrics
from app.core.errors import AppError
from app.jobs import backlog
from app.reconciliation import jobs as reconciliation_jobs

FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1 and ::ffff:127.x (an IPv4 loopback peer on a dual-stack socket)."""
    try:
        address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _bearer_matches(request: Request, token: str | None) -> bool:
    if not token:
        return False
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    # compare_digest on bytes: the time taken does not tell how much of the token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def may_read(request: Request) -> bool:
    local = is_loopback(request.ip) and not any(name in request.headers for name in FORWARDING_HEADERS)
    return local or _bearer_matches(request, request.app.ctx.settings.metrics_token)


def install(app: Sanic) -> None:
    """The /metrics route, request counting by route template, and this worker's start and stop."""

    @app.get("/metrics")
    @openapi.exclude()
    async def prometheus_metrics(request: Request):
        if not may_read(request):
            raise AppError("NOT_FOUND")
        await backlog.refresh_metrics()
        await reconciliation_jobs.refresh_metrics()
        return HTTPResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)

    @app.signal("http.lifecycle.request")
    async def _arrived(request: Request) -> None:
        request.ctx.metrics_started = time.perf_counter()

    @app.signal("http.lifecycle.response")
    async def _answered(request: Request, response: HTTPResponse) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        route = metrics.route_template(request.route.path) if request.route else metrics.UNMATCHED_ROUTE
        metrics.observe_request(request.method, route, response.status,
                                time.perf_counter() - started if started is not None else None)

    @app.after_server_start
    async def _serving(app: Sanic) -> None:
        metrics.process_started()

    @app.before_server_stop
    async def _stopping(app: Sanic) -> None:
        metrics.process_stopped()

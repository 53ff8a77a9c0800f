"""Serves the operators' console (DESIGN.md §6.2): the files of app/admin/static at /admin, nothing else."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file
from sanic_ext import openapi

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_URI = "/assets"  # under /admin; the API is /admin/v1, so the two can never meet

# The console talks to this server only. The policy makes the browser refuse any other host, and stored script
# cannot run even if a page forgot to escape a name (every page builds text nodes; this is the second wall).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time: after an upgrade the browser never mixes old and new modules.
    "Cache-Control": "no-cache",
}

bp = Blueprint("admin_console", url_prefix="/admin")
bp.static(ASSETS_URI, STATIC_DIR, name="assets")


@bp.get("", strict_slashes=False)
@openapi.exclude()
async def index(request: Request) -> HTTPResponse:
    return await file(STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8")


@bp.on_response
async def _console_headers(request: Request, response: HTTPResponse) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)

"""HTTP routes of preferences, addresses, invoice title, phone and checkout prefill (DESIGN.md §3)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("preferences", url_prefix="/api/v1")

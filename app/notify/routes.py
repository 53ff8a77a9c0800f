"""WeChat Pay notification callbacks (DESIGN.md §4): verify first, then hand to the orders' services."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("notify", url_prefix="/notify")

"""Refunds issued by operators (DESIGN.md §6 "Refunds")."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("refunds_admin", url_prefix="/admin/v1")

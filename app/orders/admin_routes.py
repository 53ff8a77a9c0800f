"""Operators' view of orders and notifications (DESIGN.md §6 "Orders")."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("orders_admin", url_prefix="/admin/v1")

"""Operators' roles (DESIGN.md §6.2) and what each kind of admin route allows."""

from __future__ import annotations

ADMIN, OPERATOR, ANALYST = "admin", "operator", "analyst"
ROLES = (ADMIN, OPERATOR, ANALYST)
# What each kind of route allows; admin may do everything, so it is in every set.
READ = (ADMIN, OPERATOR, ANALYST)
MANAGE = (ADMIN, OPERATOR)
ADMIN_ONLY = (ADMIN,)

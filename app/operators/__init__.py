"""Operators of the console: accounts, password login with lockout, roles and the audit log (DESIGN.md §6)."""

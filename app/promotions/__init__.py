"""Promotions: operators switch them, the pricing engine reads them from an in-process cache (DESIGN.md §3, §6)."""

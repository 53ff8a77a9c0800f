"""The product catalog: admin management, the public listing and stock reservation (DESIGN.md §3, §6)."""

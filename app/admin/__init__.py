"""The operators' console at /admin (DESIGN.md §6.2) and the offline assets of /docs."""

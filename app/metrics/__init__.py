"""`GET /metrics` for Prometheus and the request hooks that feed it (DESIGN.md §6.3)."""

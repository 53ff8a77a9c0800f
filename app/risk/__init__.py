"""Risk (DESIGN.md §7): rate limits, and the risk events operators read."""

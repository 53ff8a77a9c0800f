"""Feedback on orders (DESIGN.md §7): shoppers file it, operators reply and resolve."""

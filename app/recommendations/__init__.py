"""Recommendations learnt from each user's purchase history: payment method, offers and buy-again (DESIGN.md §3)."""

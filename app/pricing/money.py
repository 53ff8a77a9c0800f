"""Integer-fen helpers: strict integer checks and the one yuan formatter for human texts."""

from __future__ import annotations


def is_int(value: object) -> bool:
    """True for a real integer; `bool` is an `int` subclass in Python and is refused as money or a count."""
    return isinstance(value, int) and not isinstance(value, bool)


def require_int(value: object, what: str, minimum: int) -> int:
    if not is_int(value):
        raise ValueError(f"{what} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return value


def format_yuan(fen: int) -> str:
    """2000 → "20", 990 → "9.9", 5 → "0.05": yuan without trailing zeros, computed without floats."""
    if not is_int(fen):
        raise ValueError(f"fen must be an integer, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    if cents == 0:
        return f"{sign}{yuan}"
    return f"{sign}{yuan}.{cents:02d}".rstrip("0")

"""The checkout's in-process cache of what pricing reads of a user's orders: whether they ever paid, and how many
of their live orders used each promotion (new-user and per-user-limit rules, DESIGN §3).

Only what a checkout's rules ask for is read (whether they paid only with a new-user rule; uses only of the
promotions with a per-user limit), and added to the entry while its counter stays the same. Kept per user under
the counter `checkout:orders:<user id>`. Every change of an order's status (`transition`)
and every new order (`create_order`) announces it when its transaction commits (app/core/versioned.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional
from app.core import versioned


def counter(user_id: str) -> str:
    return f"checkout:orders:{user_id}"


@dataclass(frozen=True)
class History:
    """What was read so far under one counter: read lazily, as rules ask (shared: read it, never change it)."""

    paid_before: Optional[bool] = None  # None: not read yet
    uses_by_promotion: dict[str, int] = field(default_factory=dict)  # of the promotions in `known` (0: absent)
    known: frozenset[str] = frozenset()


histories = versioned.VersionedCache[str, History]("orders", counter)


async def changed(user_id: str) -> None:
    await versioned.after_commit(counter(user_id))

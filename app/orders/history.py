"""The checkout's in-process cache of what pricing reads of a user's orders: whether they ever paid, and how many
of their live orders used each promotion (new-user and per-user-limit rules, DESIGN §3).

Kept per user under the counter `checkout:orders:<user id>`. Every change of an order's status (`transition`)
and every new order (`create_order`) announces it when its transaction commits (app/core/versioned.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from app.core import versioned


def counter(user_id: str) -> str:
    return f"checkout:orders:{user_id}"


@dataclass(frozen=True)
class History:
    paid_before: bool
    uses_by_promotion: dict[str, int] = field(default_factory=dict)  # shared: read it, never change it


histories = versioned.VersionedCache[str, History]("orders", counter)


async def changed(user_id: str) -> None:
    await versioned.after_commit(counter(user_id))

"""The checkout's in-process cache of each user's own choices: preference, default address and invoice title.

Kept per user under the counter `checkout:prefs:<user id>`, which every change to them announces after its
commit (app/core/versioned.py), so a quote or one-tap on any worker sees an address changed a moment ago.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from app.core import versioned
from app.preferences.models import Preference


def counter(user_id: str) -> str:
    return f"checkout:prefs:{user_id}"


@dataclass(frozen=True)
class CheckoutContext:
    """Shared between requests: read it, never change it."""

    preference: Optional[Preference]
    default_address: Optional[dict[str, Any]]  # as address_view shows it
    invoice: Optional[dict[str, Any]]  # as invoice_view shows it


contexts = versioned.VersionedCache[str, CheckoutContext]("preferences", counter)


async def changed(user_id: str) -> None:
    """Call in the writing transaction (announced at its commit) or after an autocommit write."""
    await versioned.after_commit(counter(user_id))

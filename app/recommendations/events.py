"""The `payment.failed` outbox event: what it carries and the two places that write it (docs/DECISIONS.md).

Payload (statistics reads it too, so it is kept exactly): `user_id`, `payment_method`, `reason`, `order_id`
(null for a wallet one-tap, which leaves no order), `at` (ISO-8601, UTC), plus the outbox's `event_id`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient

PAYMENT_FAILED = "payment.failed"

# A one-tap that chose the wallet and ended in one of these (WALLET_PIN_REQUIRED and WALLET_PIN_NOT_SET are
# prompts to enter or set a PIN, not failures of the method, so they are not counted).
WALLET_FAILURES = ("PAYMENT_INSUFFICIENT_BALANCE", "WALLET_PIN_WRONG", "WALLET_PIN_LOCKED")
# An order closed unpaid, by the close's cause. `provider_failed` is the one-tap's own PAYMENT_PROVIDER_UNAVAILABLE:
# written here, with the close, and nowhere else, so it is counted once. `prepay_lost` (the one-tap's process died
# before it answered; the jobs closed the order) is our failure, not the method's: nothing is written.
CLOSE_REASONS = {"expiry": "EXPIRED_UNPAID", "cancel": "CANCELLED", "provider_failed": "PAYMENT_PROVIDER_UNAVAILABLE"}
REASONS = (*WALLET_FAILURES, "PAYMENT_PROVIDER_UNAVAILABLE", "EXPIRED_UNPAID", "CANCELLED")


def payment_failed_payload(user_id: str, payment_method: str, reason: str, order_id: Optional[str],
                           at: datetime) -> dict[str, Any]:
    if reason not in REASONS:
        raise ValueError(f"not a payment.failed reason: {reason!r}")
    return {"user_id": user_id, "payment_method": payment_method, "reason": reason, "order_id": order_id,
            "at": at.astimezone(timezone.utc).isoformat()}


async def emit_payment_failed(connection: BaseDBAsyncClient, user_id: str, payment_method: str, reason: str,
                              order_id: Optional[str], at: datetime) -> None:
    # Imported here: the outbox module imports app.orders.service, whose close writes this event.
    from app.jobs import outbox

    await outbox.emit(connection, PAYMENT_FAILED, payment_failed_payload(user_id, payment_method, reason, order_id, at))


async def emit_unpaid_close(connection: BaseDBAsyncClient, order: Any, cause: str, at: datetime) -> None:
    """In the close's own transaction: an order closed unpaid is a failed payment of its method."""
    reason = CLOSE_REASONS.get(cause)
    if reason is not None:
        await emit_payment_failed(connection, order.user_id, order.payment_method, reason, order.id, at)

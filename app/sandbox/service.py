"""What happens after a payment or a refund: notifications and the refund's completion."""

from __future__ import annotations

import asyncio

from .ledger import Order, Refund
from .messages import payment_notification, refund_notification
from .state import SandboxState

REFUND_COMPLETION_S = 1.0  # on WeChat's clock, divided by the time factor


def pay(state: SandboxState, prepay_id: str, result: str, force: bool) -> Order:
    order = state.ledger.pay(prepay_id, result, force)
    if result == "SUCCESS":
        state.notifier.dispatch(payment_notification(state.keys, order))
    return order


def start_refund(state: SandboxState, order: Order, **fields) -> Refund:
    """Accept a refund (PROCESSING); it succeeds a moment later and is notified."""
    refund, created = state.ledger.create_refund(order, **fields)
    if created:
        state.spawn(_complete_refund_later(state, refund))
    return refund


async def _complete_refund_later(state: SandboxState, refund: Refund) -> None:
    await asyncio.sleep(state.scaled(REFUND_COMPLETION_S))
    state.ledger.complete_refund(refund)
    notification = refund_notification(state.keys, refund)
    if notification is not None:
        state.notifier.dispatch(notification)

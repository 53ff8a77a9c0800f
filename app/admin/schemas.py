"""Response models of the console's order views: orders' record of an order with refunds' of it."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel

from app.orders.schemas import AdminOrderOut, FlagOut, PaymentOut, TransitionOut
from app.refunds.schemas import OrderRefundOut


class AdminOrderDetailOut(AdminOrderOut):
    flags: list[FlagOut]  # type: ignore[assignment]  # in full here; the list gives their kinds
    transitions: list[TransitionOut]
    payments: list[PaymentOut]
    refunds: list[OrderRefundOut]


class AdminOrderPage(BaseModel):
    items: list[AdminOrderOut]
    next_cursor: Optional[str] = None

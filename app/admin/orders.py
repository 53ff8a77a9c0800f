"""The console's order views: orders' own record of each order, and, for one order, the refunds made of it."""

from __future__ import annotations

from typing import Any, Optional

from app.admin.schemas import AdminOrderDetailOut
from app.core.serialize import view
from app.orders import service as orders
from app.refunds import service as refunds


async def order_list(limit: int, before_id: Optional[str], *, status: Optional[str] = None,
                     flagged: Optional[bool] = None) -> list[dict[str, Any]]:
    return await orders.admin_list(limit, before_id, status=status, flagged=flagged)


async def order_detail(order_id: str) -> dict[str, Any]:
    """One order with its transitions, flags and payments (orders'), and its refunds (refunds')."""
    history = await orders.admin_detail(order_id)
    return view(AdminOrderDetailOut, history.order, flags=history.flags, transitions=history.transitions,
                payments=history.payments, refunds=await refunds.refunds_of_order(order_id))

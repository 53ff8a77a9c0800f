"""Feedback: filed by a shopper on their own order, answered by operators (DESIGN.md §7).

`paid_not_updated` ("我付了钱但订单没变") asks WeChat Pay about the order at once and settles what it says
through the one settlement path (app/orders/settlement.py), so the answer already tells the shopper whether
the payment was found; operators then see the order's status as it was after that check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional

from pydantic import BaseModel
from tortoise.transactions import in_transaction

from app.core.clock import now_utc
from app.core.errors import NotFound
from app.core.pagination import newest_first
from app.core.security import new_id
from app.core.serialize import view
from app.feedback.models import OPEN, PAID_NOT_UPDATED, RESOLVED, Feedback, FeedbackReply
from app.feedback.schemas import FeedbackIn
from app.operators import audit
from app.orders import jobs as order_jobs, service as orders
from app.orders.models import CLOSED, PAYING, Order

if TYPE_CHECKING:  # the container is built above this layer
    from app.deps import Deps

log = logging.getLogger("yijian.feedback")

QUERY_TIMEOUT_S = 5.0  # the shopper waits for this answer: WeChat Pay's own retries stay within it


async def file(deps: Deps, user_id: str, order_id: str, data: FeedbackIn) -> Feedback:
    """Feedback on the user's own order (another user's is NOT_FOUND)."""
    order = await orders.get_own(user_id, order_id)
    if data.category == PAID_NOT_UPDATED:
        order = await _check_payment(deps, order)
    return await Feedback.create(id=new_id("fbk"), user_id=user_id, order_id=order.id, category=data.category,
                                 text=data.text, error_code=data.error_code, order_status=order.status,
                                 status=OPEN, created_at=now_utc())


async def _check_payment(deps: Deps, order: Order) -> Order:
    """Ask WeChat Pay about an order that may have been paid without our knowing, and settle its answer. An order
    closed meanwhile is asked about too: a payment found then is recorded and given back (paid_after_close)."""
    if order.provider != "wechatpay" or order.status not in (PAYING, CLOSED) or order.transaction_id:
        return order
    result = await order_jobs.query_now(deps, order, "feedback_query", QUERY_TIMEOUT_S)
    log.info("feedback query", extra={"fields": {"order_id": order.id, "result": result or "unavailable"}})
    return await Order.get(id=order.id)


async def list_own(user_id: str, limit: int, before_id: Optional[str]) -> list[Feedback]:
    return await newest_first(Feedback.filter(user_id=user_id), limit, before_id, id_prefix="fbk")


async def queue(status: Optional[str], limit: int, before_id: Optional[str]) -> list[Feedback]:
    query = Feedback.all() if status is None else Feedback.filter(status=status)
    return await newest_first(query, limit, before_id, id_prefix="fbk")


async def replies_of(feedback: list[Feedback]) -> dict[str, list[FeedbackReply]]:
    """Each feedback's replies, oldest first, in one query."""
    found: dict[str, list[FeedbackReply]] = {item.id: [] for item in feedback}
    if found:
        for reply in await FeedbackReply.filter(feedback_id__in=list(found)).order_by("id"):
            found[reply.feedback_id].append(reply)
    return found


async def views(model: type[BaseModel], items: list[Feedback]) -> list[dict[str, Any]]:
    """Feedback rows as `model` answers them, each with its replies."""
    replies = await replies_of(items)
    return [view(model, item, replies=replies[item.id]) for item in items]


async def reply(operator_id: str, feedback_id: str, text: str, resolve: bool) -> Feedback:
    """An operator's reply, which the shopper sees; `resolve` closes the feedback. Audit-logged with it."""
    async with in_transaction() as connection:
        feedback = await Feedback.select_for_update().using_db(connection).get_or_none(id=feedback_id)
        if feedback is None:
            raise NotFound()
        now = now_utc()
        answer = await FeedbackReply.create(id=new_id("fbr"), feedback_id=feedback.id, operator_id=operator_id,
                                            text=text, created_at=now, using_db=connection)
        before = {"status": feedback.status}
        if resolve and feedback.status == OPEN:
            await Feedback.filter(id=feedback.id, status=OPEN).using_db(connection).update(status=RESOLVED,
                                                                                          resolved_at=now)
        after = {"status": RESOLVED if resolve else feedback.status, "reply_id": answer.id, "reply": text}
        await audit.record(connection, operator_id, "feedback.reply", "feedback", feedback.id, before, after)
    return await Feedback.get(id=feedback_id)

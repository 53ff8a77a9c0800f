"""WeChat Pay callbacks (DESIGN.md §4): verify and decrypt, hand to settlement or refunds, log, answer.

Every delivery is logged with its verdict and our answer, the rejected ones too. The answer tells WeChat
to retry only when retrying can help: 204/200 once recorded (duplicates and flagged mismatches included),
401 when verification fails, 404 for an order we do not know, 400 for a malformed body, 500 when we failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional

from app.core import metrics
from app.core.clock import CHINA_TZ, now_utc
from app.core.pagination import newest_first
from app.notify import journal
from app.notify.models import NotificationLog
from app.orders.settlement import ACCOUNT_MISMATCH, flag, settle
from app.payments import Notification, NotificationRejected, TransactionState
from app.payments.registry import V2, Payments
from app.payments.providers.wechatpay_v2 import REFUND_STATUSES as V2_REFUND_STATUSES
from app.refunds import service as refunds
from app.refunds.models import Refund

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.notify")

MESSAGES = {400: "malformed notification", 401: "verification failed", 404: "unknown order",
            500: "temporary failure, retry later"}


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: Optional[str] = None


@dataclass
class _Handled:
    status: int
    verdict: str
    out_trade_no: Optional[str] = None
    event_type: Optional[str] = None
    verified: bool = False  # signature (APIv3) or sign (APIv2) checked: the body is WeChat's, kept whole


async def receive(deps: Deps, endpoint: str, api: str, headers: Mapping[str, str], body: bytes,
                  source: str = "") -> Answer:
    """Handle one delivery to `endpoint` from the address `source` with the provider of `api`
    (wechatpay_v3 | wechatpay_v2)."""
    handled = _Handled(500, "error")  # filled in as we learn; what is left of it on a failure is logged
    try:
        await _handle(deps.payments, api, headers, body, handled)
    except NotificationRejected as exc:
        handled.status, handled.verdict = 400 if exc.reason == "malformed" else 401, f"rejected_{exc.reason}"
        log.warning("notification rejected", extra={"fields": {"endpoint": endpoint, "reason": exc.reason}})
    except Exception:  # the database or WeChat credentials unreachable, a lock lost: WeChat retries
        log.exception("notification failed", extra={"fields": {"endpoint": endpoint}})
    metrics.count_notification(api, handled.verdict)
    answer = _answer(api, handled.status)
    try:
        await journal.write(
            endpoint=endpoint, source=source, headers=headers, body=body, verified=handled.verified,
            verdict=handled.verdict, event_type=handled.event_type, out_trade_no=handled.out_trade_no,
            answer_status=answer.status, answer_body=answer.body, redis=deps.redis)
    except Exception:
        log.exception("notification log not written", extra={"fields": {"endpoint": endpoint,
                                                                          "verdict": handled.verdict}})
    return answer


def _answer(api: str, status: int) -> Answer:
    ok = status in (200, 204)
    if api == V2:  # APIv2 wants XML, return_code SUCCESS, with HTTP 200 (any other answer is a retry)
        code, message = ("SUCCESS", "OK") if ok else ("FAIL", MESSAGES[status])
        xml = (f"<xml><return_code><![CDATA[{code}]]></return_code>"
               f"<return_msg><![CDATA[{message}]]></return_msg></xml>")
        return Answer(200 if ok else status, xml, "text/xml; charset=utf-8")
    if ok:
        return Answer(204, "")
    return Answer(status, json.dumps({"code": "FAIL", "message": MESSAGES[status]}), "application/json")


async def _handle(payments: Payments, api: str, headers: Mapping[str, str], body: bytes, handled: _Handled) -> None:
    notification = await payments.get(api).parse_notification(headers, body, now_utc())
    handled.verified = True
    handled.event_type = notification.event_type
    out_trade_no = notification.resource.get("out_trade_no")
    handled.out_trade_no = out_trade_no if isinstance(out_trade_no, str) else None
    if notification.kind == "refund":
        return await _refund(payments, api, notification, handled)
    state = transaction_state(api, notification.resource)
    outcome = await settle(payments, state.raw["out_trade_no"], state, "notification", provider=api)
    handled.status = 404 if outcome.result == "unknown_order" else 204
    handled.verdict = outcome.result


def transaction_state(api: str, resource: dict[str, Any]) -> TransactionState:
    """The decrypted transaction (APIv3) or the verified XML fields (APIv2) as the interface's state."""
    try:
        if not isinstance(resource.get("out_trade_no"), str):
            raise ValueError("out_trade_no")
        if api == V2:
            paid = resource.get("result_code") == "SUCCESS"
            total = resource.get("total_fee", "")
            return TransactionState(
                trade_state="SUCCESS" if paid else "PAYERROR", transaction_id=resource.get("transaction_id") or None,
                amount_total_fen=int(total) if total.isdigit() else None, payer_openid=resource.get("openid"),
                success_time=_v2_time(resource.get("time_end")), raw=resource)
        amount, payer = resource.get("amount") or {}, resource.get("payer") or {}
        return TransactionState(
            trade_state=resource["trade_state"], transaction_id=resource.get("transaction_id") or None,
            amount_total_fen=amount.get("total"), payer_openid=payer.get("openid"),
            success_time=_v3_time(resource.get("success_time")), raw=resource)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotificationRejected("malformed", f"transaction: {type(exc).__name__} {exc}") from None


def _v3_time(text: Optional[str]) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc) if text else None
    except ValueError:
        return None


def _v2_time(text: Optional[str]) -> Optional[datetime]:
    """APIv2's `time_end`, yyyyMMddHHmmss in Beijing time."""
    try:
        return datetime.strptime(text or "", "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ).astimezone(timezone.utc)
    except ValueError:
        return None


async def _refund(payments: Payments, api: str, notification: Notification, handled: _Handled) -> None:
    resource = notification.resource
    out_refund_no = resource.get("out_refund_no")
    if not isinstance(out_refund_no, str):
        raise NotificationRejected("malformed", "out_refund_no")
    if api == V2:
        status = V2_REFUND_STATUSES.get(resource.get("refund_status", ""), "ABNORMAL")
    else:
        status = str(resource.get("refund_status") or notification.event_type.removeprefix("REFUND."))
    refund = await Refund.get_or_none(out_refund_no=out_refund_no)
    if refund is None:
        handled.status, handled.verdict = 404, "unknown_refund"
        return
    handled.status = 204
    mchid = resource.get("mchid") or resource.get("mch_id")
    if mchid and mchid != (await payments.credentials()).mchid:
        await flag(refund.order_id, ACCOUNT_MISMATCH, {"out_refund_no": out_refund_no, "mchid": mchid})
        handled.verdict = "flagged"
        return
    if resource.get("out_trade_no") != await _order_out_trade_no(refund):
        await flag(refund.order_id, refunds.REFUND_MISMATCH, {
            "out_refund_no": out_refund_no, "out_trade_no": resource.get("out_trade_no")})
        handled.verdict = "flagged"
        return
    result = await refunds.finish(out_refund_no, status, resource.get("refund_id"), "notification",
                                  amount_fen=_refund_fen(api, resource))
    handled.verdict = "flagged" if result == "flagged" else "refund_" + result


async def _order_out_trade_no(refund: Refund) -> str:
    await refund.fetch_related("order")
    return refund.order.out_trade_no


def _refund_fen(api: str, resource: dict[str, Any]) -> Optional[int]:
    """The refunded amount a refund notification states (APIv3 `amount.refund`, APIv2 `refund_fee`); -1 when it
    states none, which never equals a refund's amount."""
    if api == V2:
        text = resource.get("refund_fee", "")
        return int(text) if isinstance(text, str) and text.isdigit() else -1
    amount = resource.get("amount")
    refund = amount.get("refund") if isinstance(amount, dict) else None
    return refund if isinstance(refund, int) and not isinstance(refund, bool) else -1


def log_view(entry: NotificationLog) -> dict[str, Any]:
    return {"id": entry.id, "endpoint": entry.endpoint, "headers": entry.headers, "body": entry.body,
            "body_size": entry.body_size, "body_truncated": entry.body_truncated, "verdict": entry.verdict, "event_type": entry.event_type, "out_trade_no": entry.out_trade_no,
            "answer": {"status": entry.answer_status, "body": entry.answer_body}, "received_at": entry.received_at}


async def list_log(limit: int, before_id: Optional[str], *, out_trade_no: Optional[str] = None,
                   verdict: Optional[str] = None) -> list[NotificationLog]:
    """Newest first; up to limit+1 entries for `app.core.http.page`."""
    query = NotificationLog.all()
    if out_trade_no:
        query = query.filter(out_trade_no=out_trade_no)
    if verdict:
        query = query.filter(verdict=verdict)
    return await newest_first(query, limit, before_id)

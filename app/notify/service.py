"""WeChat Pay callbacks (DESIGN.md §4): verified and read by the provider, applied by settlement or refunds, logged.

Every delivery is logged with its verdict and our answer, the rejected ones too. The answer tells WeChat
to retry only when retrying can help: 204/200 once recorded (duplicates and flagged mismatches included),
401 when verification fails, 404 for an order we do not know, 400 for a malformed body, 500 when we failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from app.core import metrics
from app.core.clock import now_utc
from app.core.pagination import newest_first
from app.notify import journal
from app.notify.models import NotificationLog
from app.orders.settlement import settle
from app.payments import NotificationRejected, RefundNotification
from app.payments.registry import V2, Payments
from app.refunds import service as refunds
from app.risk import events as risk

if TYPE_CHECKING:  # the container is built above this layer; services only use what it holds
    from app.deps import Deps

log = logging.getLogger("yijian.notify")

# Refusals that say someone other than WeChat sent it (DESIGN §7 `notify_forgery`).
FORGERY_REASONS = ("signature", "serial", "timestamp")
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
        if exc.verified:  # only its content is wrong: the body is still WeChat's own
            _verified(handled, exc.event_type, exc.out_trade_no)
        handled.status, handled.verdict = 400 if exc.reason == "malformed" else 401, f"rejected_{exc.reason}"
        log.warning("notification rejected", extra={"fields": {"endpoint": endpoint, "reason": exc.reason}})
        if exc.reason in FORGERY_REASONS and not exc.verified:
            await risk.record(risk.NOTIFY_FORGERY, risk.address(journal.source_of(source)),
                              {"endpoint": endpoint, "reason": exc.reason})
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
    received_at = now_utc()
    notification = await payments.get(api).parse_notification(headers, body, received_at)
    _verified(handled, notification.event_type, notification.out_trade_no)
    if isinstance(notification, RefundNotification):
        handled.verdict = await refunds.apply_notification(payments, notification)
        handled.status = 404 if handled.verdict == refunds.UNKNOWN_REFUND else 204
        return
    outcome = await settle(payments, notification, "notification", received_at=received_at)
    handled.status = 404 if outcome.result == "unknown_order" else 204
    handled.verdict = outcome.result


def _verified(handled: _Handled, event_type: Optional[str], out_trade_no: Any) -> None:
    """The signature (or sign) held: the body is WeChat's, kept whole, with what it names."""
    handled.verified, handled.event_type = True, event_type
    handled.out_trade_no = out_trade_no if isinstance(out_trade_no, str) else None


async def list_log(limit: int, before_id: Optional[str], *, out_trade_no: Optional[str] = None,
                   verdict: Optional[str] = None) -> list[NotificationLog]:
    """Newest first; up to limit+1 entries for `app.core.http.page`."""
    query = NotificationLog.all()
    if out_trade_no:
        query = query.filter(out_trade_no=out_trade_no)
    if verdict:
        query = query.filter(verdict=verdict)
    return await newest_first(query, limit, before_id)

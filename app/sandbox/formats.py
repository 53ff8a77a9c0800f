"""How WeChat writes the sandbox's orders and refunds: APIv3 JSON, APIv2 fields and XML, times."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from .ledger import Order, Refund

CHINA_TZ = timezone(timedelta(hours=8))  # WeChat writes its times in Beijing time

TRADE_STATE_DESC = {
    "SUCCESS": "支付成功",
    "REFUND": "转入退款",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "PAYERROR": "支付失败，请重新下单支付",
    "USERPAYING": "用户支付中，需要输入密码",
}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_object(raw: bytes) -> dict | None:
    """A request body that must be a JSON object; None when it is not."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, CHINA_TZ).isoformat(timespec="seconds")


def parse_rfc3339(text: str) -> float | None:
    if not isinstance(text, str) or not _RFC3339.match(text):
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def v2_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, CHINA_TZ).strftime("%Y%m%d%H%M%S")


def parse_v2_time(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ).timestamp()
    except (TypeError, ValueError):
        return None


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def v3_transaction(order: Order) -> dict:
    """The transaction as GET /v3/pay/transactions/out-trade-no/{no} answers it."""
    paid = order.trade_state in ("SUCCESS", "REFUND")
    tx: dict = {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_state": order.trade_state,
        "trade_state_desc": TRADE_STATE_DESC[order.trade_state],
        "attach": order.attach,
        "payer": {"openid": order.openid} if order.transaction_id else {},
        "amount": {"total": order.total, "currency": order.currency, "payer_currency": order.currency},
        "promotion_detail": [],
    }
    if order.transaction_id:
        tx["transaction_id"] = order.transaction_id
        tx["trade_type"] = "JSAPI"
        tx["bank_type"] = "OTHERS"
    if paid:
        tx["success_time"] = rfc3339(order.success_time)
        tx["amount"]["payer_total"] = order.total
    return tx


def v3_refund(refund: Refund) -> dict:
    """The refund as POST and GET /v3/refund/domestic/refunds answer it."""
    order = refund.order
    body = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": order.transaction_id,
        "out_trade_no": order.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(refund.created_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": order.total,
            "refund": refund.refund,
            "payer_total": order.total,
            "payer_refund": refund.refund,
            "settlement_total": order.total,
            "settlement_refund": refund.refund,
            "discount_refund": 0,
            "currency": order.currency,
            "refund_fee": 0,
        },
        "promotion_detail": [],
    }
    if refund.success_time:
        body["success_time"] = rfc3339(refund.success_time)
    return body


def v3_refund_notification_resource(refund: Refund) -> dict:
    """The plaintext of a REFUND.SUCCESS notification."""
    order = refund.order
    return {
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": rfc3339(refund.success_time or refund.created_at),
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": order.total,
            "refund": refund.refund,
            "payer_total": order.total,
            "payer_refund": refund.refund,
        },
    }


def v2_paid_fields(order: Order) -> dict[str, str]:
    """The payment fields APIv2 shows in orderquery and in the payment notification."""
    fields = {
        "openid": order.openid,
        "is_subscribe": "N",
        "trade_type": "JSAPI",
        "bank_type": "OTHERS",
        "total_fee": str(order.total),
        "cash_fee": str(order.total),
        "fee_type": order.currency,
        "transaction_id": order.transaction_id or "",
        "out_trade_no": order.out_trade_no,
        "attach": order.attach,
    }
    if order.success_time:
        fields["time_end"] = v2_time(order.success_time)
    return fields


def v2_refund_info(refund: Refund) -> dict[str, str]:
    """The plaintext fields of an APIv2 refund notification's req_info."""
    order = refund.order
    finished = datetime.fromtimestamp(refund.success_time or refund.created_at, CHINA_TZ)
    return {
        "transaction_id": order.transaction_id or "",
        "out_trade_no": order.out_trade_no,
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "total_fee": str(order.total),
        "settlement_total_fee": str(order.total),
        "refund_fee": str(refund.refund),
        "settlement_refund_fee": str(refund.refund),
        "refund_status": refund.status,
        "success_time": finished.strftime("%Y-%m-%d %H:%M:%S"),
        "refund_recv_accout": "支付用户零钱",  # sic: WeChat's spelling
        "refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS",
        "refund_request_source": "API",
    }


def to_xml(fields: dict[str, str], root: str = "xml") -> str:
    parts = [f"<{root}>"]
    for key, value in fields.items():
        text = str(value)
        if text.isdigit():
            parts.append(f"<{key}>{text}</{key}>")
        else:
            parts.append(f"<{key}><![CDATA[{text.replace(']]>', ']]]]><![CDATA[>')}]]></{key}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def parse_xml(raw: str | bytes) -> dict[str, str] | None:
    """A flat WeChat XML document as a dict; None when it is not one (DTDs refused)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != "xml":
        return None
    return {child.tag: child.text or "" for child in root}

"""The notifications WeChat Pay sends, built exactly as it builds them (APIv3 JSON, APIv2 XML)."""

from __future__ import annotations

import time
import uuid

from .crypto import aead_encrypt, nonce_str, v2_refund_req_info, v2_sign
from .formats import (
    dumps,
    rfc3339,
    to_xml,
    v2_paid_fields,
    v2_refund_info,
    v3_refund_notification_resource,
    v3_transaction,
)
from .keys import SandboxKeys
from .ledger import Order, Refund
from .notify import Notification


def _v3_body(keys: SandboxKeys, event_type: str, summary: str, original_type: str, plaintext: dict) -> str:
    nonce = nonce_str(12)
    return dumps({
        "id": str(uuid.uuid4()),
        "create_time": rfc3339(time.time()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": aead_encrypt(keys.apiv3_key, nonce, dumps(plaintext), original_type),
            "associated_data": original_type,
            "nonce": nonce,
        },
    })


def payment_notification(keys: SandboxKeys, order: Order) -> Notification:
    """TRANSACTION.SUCCESS in the format of the API the order was created with."""
    if order.api == "v3":
        body = _v3_body(keys, "TRANSACTION.SUCCESS", "支付成功", "transaction", v3_transaction(order))
        return Notification("pay_notify", order.out_trade_no, "TRANSACTION.SUCCESS", order.notify_url, body, True)
    fields = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "appid": order.appid,
        "mch_id": order.mchid,
        "nonce_str": nonce_str(32),
        "result_code": "SUCCESS",
        **v2_paid_fields(order),
    }
    if order.sign_type != "MD5":
        fields["sign_type"] = order.sign_type
    fields["sign"] = v2_sign(fields, keys.apiv2_key, order.sign_type)
    return Notification(
        "v2_pay_notify", order.out_trade_no, "TRANSACTION.SUCCESS", order.notify_url, to_xml(fields), False
    )


def refund_notification(keys: SandboxKeys, refund: Refund) -> Notification | None:
    """REFUND.SUCCESS to the refund's notify_url, if it gave one."""
    if not refund.notify_url:
        return None
    out_trade_no = refund.order.out_trade_no
    if refund.api == "v3":
        body = _v3_body(keys, "REFUND.SUCCESS", "退款成功", "refund", v3_refund_notification_resource(refund))
        return Notification("refund_notify", out_trade_no, "REFUND.SUCCESS", refund.notify_url, body, True)
    # APIv2 refund notifications carry no sign: req_info is encrypted with a key derived from the APIv2 key.
    fields = {
        "return_code": "SUCCESS",
        "appid": refund.order.appid,
        "mch_id": refund.order.mchid,
        "nonce_str": nonce_str(32),
        "req_info": v2_refund_req_info(to_xml(v2_refund_info(refund), root="root"), keys.apiv2_key),
    }
    return Notification("v2_refund_notify", out_trade_no, "REFUND.SUCCESS", refund.notify_url, to_xml(fields), False)

"""WeChat Pay APIv3 (JSAPI) over httpx: signed requests, verified answers, retries within a deadline, notifications."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from app.core.clock import CHINA_TZ
from app.payments.interface import (
    AlreadyPaid, BillDownload, Notification, NotificationRejected, PaymentParams, PaymentRequest, ProviderRejected,
    ProviderUnavailable, RefundNotFound, RefundNotification, RefundRequest, RefundResult, TransactionNotification,
    TransactionResult, malformed_content,
)
from app.payments.providers import apiv3_crypto as crypto
from app.payments.providers import bill_files
from app.payments.providers.retry import Transient, Unverified, call_with_retries, credentials_for
from app.wechat.credentials import CredentialSource

log = logging.getLogger("yijian.payments")

NOTIFICATION_WINDOW_S = 300  # 回调通知: refuse a timestamp more than 5 minutes off
TRANSIENT_CODES = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR"}  # WeChat: "请稍后重试 / 使用原参数重试"
TRADE_STATES = {"SUCCESS", "NOTPAY", "CLOSED", "PAYERROR", "USERPAYING", "REFUND"}
REFUND_STATUSES = {"PROCESSING", "SUCCESS", "CLOSED", "ABNORMAL"}


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _segment(value: str) -> str:
    """A path segment as sent and signed: RFC 3986 pchars (`*`, `@`) stay, `|` and the rest are escaped."""
    return quote(value, safe="*@")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _transaction(data: dict[str, Any]) -> dict[str, Any]:
    """A transaction's fields (a query's answer or a notification's resource) as TransactionResult's."""
    amount, payer = data.get("amount") or {}, data.get("payer") or {}
    return {"out_trade_no": data.get("out_trade_no"), "trade_state": data["trade_state"], "api": WeChatPayV3.name,
            "transaction_id": data.get("transaction_id") or None, "amount_total_fen": amount.get("total"),
            "currency": amount.get("currency"), "payer_openid": payer.get("openid") or None,
            "success_time": _parse_time(data.get("success_time")), "mchid": data.get("mchid") or None,
            "appid": data.get("appid"), "raw": data}


def time_expire(expires_at: datetime) -> str:
    """RFC3339 in +08:00, whole seconds: `2026-11-02T10:15:00+08:00` (JSAPI下单 time_expire)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    return expires_at.astimezone(CHINA_TZ).isoformat(timespec="seconds")


class WeChatPayV3:
    """The `PaymentProvider` for WeChat Pay APIv3 in public-key mode (platform public key + its id).

    Answers are trusted only once their platform signature verifies. An answer that does not verify is
    neither a refusal nor a success we may act on (it may be forged or the keys are misconfigured): it
    raises ProviderUnavailable at once, without retries, and is logged as an error.
    """

    name = "wechatpay_v3"

    def __init__(self, base_url: str, credentials: CredentialSource, http: httpx.AsyncClient, *,
                 attempts: int = 3, deadline_s: float = 8.0, timeout_s: float = 3.0) -> None:
        # The signed URL is relative to the base: `/v3/pay/...` both live (https://api.mch.weixin.qq.com)
        # and on the sandbox (<origin>/sandbox/wechat).
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._http = http
        self._attempts, self._deadline_s, self._timeout_s = attempts, deadline_s, timeout_s

    # -- payments ---------------------------------------------------------------------------------

    async def create_payment(self, req: PaymentRequest) -> PaymentParams:
        creds = await credentials_for(self._credentials, "jsapi")
        body: dict[str, Any] = {
            "appid": creds.appid, "mchid": creds.mchid, "description": req.description,
            "out_trade_no": req.out_trade_no, "time_expire": time_expire(req.expires_at),
            "notify_url": req.notify_url,
        }
        if req.attach:  # WeChat refuses an empty attach
            body["attach"] = req.attach
        body["amount"] = {"total": req.amount_fen, "currency": "CNY"}
        body["payer"] = {"openid": req.openid}
        status, data = await self._request("POST", "/v3/pay/transactions/jsapi", "jsapi", body)
        if status != 200:
            if data.get("code") == "ORDERPAID":
                raise AlreadyPaid(data.get("message", ""), status)
            raise self._rejected(status, data)
        prepay_id = data.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ProviderUnavailable("jsapi", "answer without prepay_id")
        timestamp, nonce, package = str(int(time.time())), crypto.nonce_str(), f"prepay_id={prepay_id}"
        pay_sign = crypto.pay_sign(creds.merchant_private_key_pem, appid=creds.appid, timestamp=timestamp,
                                   nonce=nonce, package=package)
        return PaymentParams(prepay_id=prepay_id, request_payment={
            "timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA", "paySign": pay_sign,
        })

    async def query(self, out_trade_no: str) -> TransactionResult:
        creds = await credentials_for(self._credentials, "query")
        path = f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}?mchid={_segment(creds.mchid)}"
        status, data = await self._request("GET", path, "query")
        if status == 404 and data.get("code") == "ORDER_NOT_EXIST":
            return TransactionResult(out_trade_no=out_trade_no, trade_state="NOT_FOUND", api=self.name, raw=data)
        if status != 200:
            raise self._rejected(status, data)
        if data.get("trade_state") not in TRADE_STATES:
            raise ProviderUnavailable("query", f"unknown trade_state {data.get('trade_state')!r}")
        return TransactionResult(**{**_transaction(data), "out_trade_no": out_trade_no})

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid order. Closing twice is fine; an order WeChat never saw counts as closed (nothing to pay)."""
        creds = await credentials_for(self._credentials, "close")
        path = f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}/close"
        status, data = await self._request("POST", path, "close", {"mchid": creds.mchid})
        if status in (200, 204):
            return
        code = data.get("code")
        if code == "ORDERPAID":
            raise AlreadyPaid(data.get("message", ""), status)
        if code in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
            return
        raise self._rejected(status, data)

    # -- refunds ----------------------------------------------------------------------------------

    async def refund(self, req: RefundRequest) -> RefundResult:
        """Ask for a refund; the same out_refund_no with the same body is answered with the first refund."""
        body: dict[str, Any] = {"out_trade_no": req.out_trade_no, "out_refund_no": req.out_refund_no}
        if req.reason:
            body["reason"] = req.reason
        if req.notify_url:
            body["notify_url"] = req.notify_url
        body["amount"] = {"refund": req.amount_fen, "total": req.total_fen, "currency": "CNY"}
        status, data = await self._request("POST", "/v3/refund/domestic/refunds", "refund", body)
        if status != 200:
            raise self._rejected(status, data)
        return self._refund_state(data)

    async def query_refund(self, out_refund_no: str) -> RefundResult:
        status, data = await self._request("GET", f"/v3/refund/domestic/refunds/{_segment(out_refund_no)}",
                                           "refund_query")
        if status == 404:
            raise RefundNotFound(data.get("code", "RESOURCE_NOT_EXISTS"), data.get("message", ""), status)
        if status != 200:
            raise self._rejected(status, data)
        return self._refund_state(data)

    def _refund_state(self, data: dict[str, Any]) -> RefundResult:
        if data.get("status") not in REFUND_STATUSES:
            raise ProviderUnavailable("refund", f"unknown refund status {data.get('status')!r}")
        return RefundResult(out_refund_no=data.get("out_refund_no", ""), status=data["status"], api=self.name,
                            refund_id=data.get("refund_id") or None, out_trade_no=data.get("out_trade_no"),
                            amount_fen=(data.get("amount") or {}).get("refund"), raw=data)

    # -- notifications ----------------------------------------------------------------------------

    async def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        """Verify, then decrypt a notification (支付/退款结果通知), in this order: signature on the raw body,
        serial, 5-minute timestamp window, AEAD_AES_256_GCM. Raises NotificationRejected(reason)."""
        creds = await credentials_for(self._credentials, "notification")
        problem = crypto.signature_problem(headers, body, platform_public_key_pem=creds.platform_public_key_pem,
                                           platform_public_key_id=creds.platform_public_key_id)
        if problem:
            raise NotificationRejected(problem)  # type: ignore[arg-type]
        timestamp = crypto.lower_keys(headers)["wechatpay-timestamp"]
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > NOTIFICATION_WINDOW_S:
            raise NotificationRejected("timestamp", f"Wechatpay-Timestamp {timestamp[:20]}")
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            event_type = str(envelope["event_type"])
            notification_id = str(envelope["id"])
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError(f"algorithm {resource.get('algorithm')!r}")
            sealed = (resource["nonce"], resource["ciphertext"], resource.get("associated_data") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationRejected("malformed", type(exc).__name__) from None
        try:
            plaintext = crypto.aead_decrypt(creds.apiv3_key, sealed[0], sealed[1], sealed[2])
        except crypto.DecryptError as exc:
            raise NotificationRejected("decrypt", str(exc)) from None
        try:
            decrypted = json.loads(plaintext)
            if not isinstance(decrypted, dict):
                raise ValueError("resource is not an object")
        except ValueError as exc:
            raise NotificationRejected("malformed", f"resource: {exc}") from None
        if event_type.startswith("TRANSACTION."):
            return self._transaction_notification(event_type, notification_id, decrypted)
        if event_type.startswith("REFUND."):
            return self._refund_notification(event_type, notification_id, decrypted)
        raise NotificationRejected("malformed", f"event_type {event_type[:40]!r}")

    @staticmethod
    def _transaction_notification(event_type: str, notification_id: str,
                                  resource: dict[str, Any]) -> TransactionNotification:
        try:
            if not isinstance(resource.get("out_trade_no"), str):
                raise ValueError("out_trade_no")
            return TransactionNotification(event_type=event_type, id=notification_id, **_transaction(resource))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise malformed_content(event_type, resource, f"transaction: {type(exc).__name__} {exc}") from None

    def _refund_notification(self, event_type: str, notification_id: str,
                             resource: dict[str, Any]) -> RefundNotification:
        out_refund_no, amount = resource.get("out_refund_no"), resource.get("amount")
        if not isinstance(out_refund_no, str):
            raise malformed_content(event_type, resource, "out_refund_no")
        refunded = amount.get("refund") if isinstance(amount, dict) else None
        return RefundNotification(
            event_type=event_type, id=notification_id, out_refund_no=out_refund_no, api=self.name,
            status=str(resource.get("refund_status") or event_type.removeprefix("REFUND.")),
            refund_id=resource.get("refund_id"), out_trade_no=resource.get("out_trade_no"),
            amount_fen=refunded if isinstance(refunded, int) and not isinstance(refunded, bool) else None,
            mchid=resource.get("mchid") or resource.get("mch_id"), raw=resource)

    # -- transport --------------------------------------------------------------------------------

    async def _request(self, method: str, url: str, api: str,
                       payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """One API call with retries; answers (status, verified JSON) for 2xx and 4xx.

        The body is serialised once and sent byte-identical by every attempt: WeChat answers a repeated
        jsapi or refund with the same out_trade_no / out_refund_no and the same body with the first result,
        and refuses another body (INVALID_REQUEST). Only the Authorization (timestamp, nonce) is fresh.
        """
        creds = await credentials_for(self._credentials, api)
        body = "" if payload is None else _dumps(payload)

        async def once(timeout: float) -> tuple[int, dict[str, Any]]:
            headers = {
                "Authorization": crypto.authorization(
                    mchid=creds.mchid, serial_no=creds.merchant_serial_no,
                    private_key_pem=creds.merchant_private_key_pem, method=method, url=url, body=body,
                ),
                "Accept": "application/json",
                "User-Agent": "yijian-wechatpay-v3",
            }
            if payload is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = await self._http.request(method, self._base + url, content=body.encode("utf-8"),
                                                    headers=headers, timeout=timeout)
            except httpx.TransportError as exc:  # timeouts included
                raise Transient(type(exc).__name__) from None
            if response.status_code >= 500 or response.status_code == 429:
                raise Transient(f"http {response.status_code} {self._code_of(response)}".rstrip())
            problem = crypto.signature_problem(response.headers, response.content,
                                               platform_public_key_pem=creds.platform_public_key_pem,
                                               platform_public_key_id=creds.platform_public_key_id)
            if problem:
                raise Unverified(f"{problem} (http {response.status_code})")
            try:
                data = response.json() if response.content else {}
            except ValueError:
                raise Unverified(f"signed but not JSON (http {response.status_code})") from None
            if not isinstance(data, dict):
                raise Unverified("signed but not a JSON object")
            if data.get("code") in TRANSIENT_CODES:
                raise Transient(str(data["code"]))
            return response.status_code, data

        return await call_with_retries(once, api=api, attempts=self._attempts, deadline_s=self._deadline_s,
                                       timeout_s=self._timeout_s)

    @staticmethod
    def _code_of(response: httpx.Response) -> str:
        try:
            return str(response.json().get("code", ""))
        except (ValueError, AttributeError):
            return ""

    @staticmethod
    def _rejected(status: int, data: dict[str, Any]) -> ProviderRejected:
        code, message = str(data.get("code") or f"HTTP_{status}"), str(data.get("message") or "")
        log.warning("wechatpay v3 refused the call", extra={"fields": {"status": status, "code": code}})
        return ProviderRejected(code, message, status)

    # -- the trade bill (申请交易账单, 下载账单; DESIGN §8) ------------------------------------------

    async def trade_bill(self, bill_date: date, bill_type: str = "ALL") -> BillDownload:
        """Apply for a day's bill, gzip (WeChat's advice for large files): its download_url and SHA1.
        A bill not out yet is ProviderRejected STATEMENT_CREATING, a day without trades NO_STATEMENT_EXIST."""
        path = f"/v3/bill/tradebill?bill_date={bill_date.isoformat()}&bill_type={_segment(bill_type)}&tar_type=GZIP"
        status, data = await self._request("GET", path, "tradebill")
        if status != 200:
            raise self._rejected(status, data)
        hash_type, hash_value, url = (data.get(name) for name in ("hash_type", "hash_value", "download_url"))
        if not all(isinstance(value, str) and value for value in (hash_type, hash_value, url)):
            raise ProviderUnavailable("tradebill", "answer without hash_type, hash_value or download_url")
        return BillDownload(api=self.name, bill_date=bill_date, bill_type=bill_type, download_url=url,
                         hash_type=hash_type, hash_value=hash_value)

    async def download_bill(self, bill: BillDownload) -> bytes:
        """GET its `download_url`, signed like every call. The file itself comes unsigned (WeChat: skip verification,
        compare the hash instead); a refusal is signed JSON and verified as any answer. Valid for 5 minutes."""
        path = self._bill_path(bill.download_url)
        creds = await credentials_for(self._credentials, "billdownload")

        async def once(timeout: float) -> bytes:
            signed = crypto.authorization(mchid=creds.mchid, serial_no=creds.merchant_serial_no,
                                          private_key_pem=creds.merchant_private_key_pem, method="GET", url=path,
                                          body="")
            try:
                response = await self._http.get(self._base + path, timeout=timeout, headers={
                    "Authorization": signed, "Accept": "*/*", "User-Agent": "yijian-wechatpay-v3"})
            except httpx.TransportError as exc:
                raise Transient(type(exc).__name__) from None
            if response.status_code == 200:
                return response.content
            if response.status_code >= 500 or response.status_code == 429:
                raise Transient(f"http {response.status_code}")
            if crypto.signature_problem(response.headers, response.content,
                                        platform_public_key_pem=creds.platform_public_key_pem,
                                        platform_public_key_id=creds.platform_public_key_id):
                raise Unverified(f"download refused unsigned (http {response.status_code})")
            raise self._rejected(response.status_code, self._json_object(response))

        content = await call_with_retries(once, api="billdownload", attempts=self._attempts,
                                          deadline_s=bill_files.DOWNLOAD_DEADLINE_S,
                                          timeout_s=bill_files.DOWNLOAD_TIMEOUT_S)
        return await bill_files.plain_bill(content, "billdownload")

    def _bill_path(self, url: str) -> str:
        """`download_url` as signed, relative to the gateway (as WeChat's SDKs sign it). Only a URL on the gateway
        itself is fetched: our signed Authorization goes to WeChat Pay and nowhere else."""
        if not url.startswith(self._base + "/"):
            raise ProviderUnavailable("billdownload", "download_url is not on the WeChat Pay gateway")
        return url[len(self._base):]

    @staticmethod
    def _json_object(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

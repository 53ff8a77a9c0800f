"""WeChat Pay APIv2 (XML, MD5 / HMAC-SHA256 `sign`) over httpx: unifiedorder, orderquery, closeorder, refunds, notifications."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

import httpx

from app.core.clock import CHINA_TZ
from app.payments.interface import (
    BILL_CREATING, NO_BILL, AlreadyPaid, BillDownload, Notification, NotificationRejected, PaymentParams,
    PaymentRequest, ProviderRejected, ProviderUnavailable, RefundNotFound, RefundNotification, RefundRequest,
    RefundResult, TransactionNotification, TransactionResult, malformed_content,
)
from app.payments.providers import apiv2_codec as codec
from app.payments.providers import bill_files
from app.payments.providers.apiv3_crypto import nonce_str
from app.payments.providers.retry import Transient, Unverified, call_with_retries, credentials_for
from app.wechat.credentials import CredentialSource, WeChatCredentials

log = logging.getLogger("yijian.payments")

TRANSIENT_ERR_CODES = {"SYSTEMERROR", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED"}  # WeChat: "请用相同参数再次调用"
# APIv2 trade states as the interface names them (REVOKED only exists for micropay: a closed order).
TRADE_STATES = {"SUCCESS": "SUCCESS", "REFUND": "REFUND", "NOTPAY": "NOTPAY", "CLOSED": "CLOSED",
                "REVOKED": "CLOSED", "USERPAYING": "USERPAYING", "PAYERROR": "PAYERROR"}
REFUND_STATUSES = {"SUCCESS": "SUCCESS", "PROCESSING": "PROCESSING", "REFUNDCLOSE": "CLOSED", "CHANGE": "ABNORMAL"}
DOWNLOADBILL = "/pay/downloadbill"
# 下载交易账单's return_msg when there is no bill, as the APIv3 codes name the same cases.
BILL_REFUSALS = {"Bill Creating": BILL_CREATING, "No Bill Exist": NO_BILL}


def time_expire(expires_at: datetime) -> str:
    """`yyyyMMddHHmmss` in Beijing time (统一下单 time_expire)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    return expires_at.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M%S")


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ).astimezone(timezone.utc)
    except ValueError:
        return None


def _fen(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _transaction(fields: dict[str, str], trade_state: str) -> dict[str, Any]:
    """A transaction's XML fields (a query's answer or a notification) as TransactionResult's."""
    return {"out_trade_no": fields.get("out_trade_no"), "trade_state": trade_state, "api": WeChatPayV2.name,
            "transaction_id": fields.get("transaction_id") or None, "amount_total_fen": _fen(fields.get("total_fee")),
            "currency": fields.get("fee_type"), "payer_openid": fields.get("openid") or None,
            "success_time": _parse_time(fields.get("time_end")), "mchid": fields.get("mch_id"),
            "appid": fields.get("appid"), "raw": fields}


class WeChatPayV2:
    """The `PaymentProvider` for WeChat Pay APIv2 (JSAPI), for merchants not yet on APIv3.

    Refunds go to /secapi/, which live WeChat only accepts over TLS with the merchant's API client
    certificate: pass `secapi_http`, an httpx client built with that certificate (not loaded here).
    The sandbox needs none. Answers with return_code SUCCESS must carry a valid `sign`; one that does not
    verify raises ProviderUnavailable without retries (it may be forged). WeChat signs no FAIL answer.
    """

    name = "wechatpay_v2"

    def __init__(self, base_url: str, credentials: CredentialSource, http: httpx.AsyncClient, *,
                 sign_type: str = "HMAC-SHA256", attempts: int = 3, deadline_s: float = 8.0, timeout_s: float = 3.0,
                 default_client_ip: str = "127.0.0.1", secapi_http: httpx.AsyncClient | None = None) -> None:
        if sign_type not in codec.SIGN_TYPES:
            raise ValueError(f"sign_type must be one of {codec.SIGN_TYPES}")
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._http, self._secapi_http = http, secapi_http or http
        self._sign_type = sign_type
        self._attempts, self._deadline_s, self._timeout_s = attempts, deadline_s, timeout_s
        self._default_client_ip = default_client_ip

    async def create_payment(self, req: PaymentRequest) -> PaymentParams:
        params = {
            "body": req.description, "out_trade_no": req.out_trade_no, "total_fee": str(req.amount_fen),
            "spbill_create_ip": req.client_ip or self._default_client_ip, "notify_url": req.notify_url,
            "trade_type": "JSAPI", "openid": req.openid, "time_expire": time_expire(req.expires_at),
        }
        if req.attach:
            params["attach"] = req.attach
        creds, data = await self._call("/pay/unifiedorder", "unifiedorder", params)
        if data["result_code"] != "SUCCESS":
            raise self._rejected(data)
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise ProviderUnavailable("unifiedorder", "answer without prepay_id")
        # JSAPI调起支付 (APIv2): paySign over appId, nonceStr, package, signType, timeStamp with the APIv2 key.
        request_payment = {"timeStamp": str(int(time.time())), "nonceStr": nonce_str(),
                           "package": f"prepay_id={prepay_id}", "signType": self._sign_type}
        request_payment["paySign"] = codec.sign({"appId": creds.appid, **request_payment}, creds.apiv2_key,
                                                self._sign_type)
        return PaymentParams(prepay_id=prepay_id, request_payment=request_payment)

    async def query(self, out_trade_no: str) -> TransactionResult:
        _, data = await self._call("/pay/orderquery", "orderquery", {"out_trade_no": out_trade_no})
        if data["result_code"] != "SUCCESS":
            if data.get("err_code") == "ORDERNOTEXIST":
                return TransactionResult(out_trade_no=out_trade_no, trade_state="NOT_FOUND", api=self.name, raw=data)
            raise self._rejected(data)
        state = TRADE_STATES.get(data.get("trade_state", ""))
        if state is None:
            raise ProviderUnavailable("orderquery", f"unknown trade_state {data.get('trade_state')!r}")
        return TransactionResult(**{**_transaction(data, state), "out_trade_no": out_trade_no})

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid order. APIv2 refuses a second close (ORDERCLOSED): that, like an unknown order, is done."""
        _, data = await self._call("/pay/closeorder", "closeorder", {"out_trade_no": out_trade_no})
        if data["result_code"] == "SUCCESS" or data.get("err_code") in ("ORDERCLOSED", "ORDERNOTEXIST"):
            return
        raise self._rejected(data)

    async def refund(self, req: RefundRequest) -> RefundResult:
        params = {"out_trade_no": req.out_trade_no, "out_refund_no": req.out_refund_no,
                  "total_fee": str(req.total_fen), "refund_fee": str(req.amount_fen)}
        if req.reason:
            params["refund_desc"] = req.reason
        if req.notify_url:
            params["notify_url"] = req.notify_url
        _, data = await self._call("/secapi/pay/refund", "v2_refund", params, http=self._secapi_http)
        if data["result_code"] != "SUCCESS":
            raise self._rejected(data)
        # An accepted APIv2 refund is in progress; its outcome comes by notification or refundquery.
        return RefundResult(out_refund_no=data.get("out_refund_no", req.out_refund_no), status="PROCESSING",
                            api=self.name, refund_id=data.get("refund_id") or None,
                            out_trade_no=data.get("out_trade_no"), amount_fen=_fen(data.get("refund_fee")), raw=data)

    async def query_refund(self, out_refund_no: str) -> RefundResult:
        _, data = await self._call("/pay/refundquery", "refundquery", {"out_refund_no": out_refund_no})
        if data["result_code"] != "SUCCESS":
            if data.get("err_code") == "REFUNDNOTEXIST":
                raise RefundNotFound("REFUNDNOTEXIST", data.get("err_code_des", ""))
            raise self._rejected(data)
        # 查询退款 lists the refunds with an index suffix; asked by out_refund_no, ours is refund #0.
        status = REFUND_STATUSES.get(data.get("refund_status_0", ""))
        if status is None:
            raise ProviderUnavailable("refundquery", f"unknown refund_status_0 {data.get('refund_status_0')!r}")
        return RefundResult(out_refund_no=data.get("out_refund_no_0", out_refund_no), status=status, api=self.name,
                            refund_id=data.get("refund_id_0") or None, out_trade_no=data.get("out_trade_no"),
                            amount_fen=_fen(data.get("refund_fee_0")), raw=data)

    async def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        """An APIv2 notification: a payment's XML must carry a valid `sign` (its own sign_type, MD5 by default);
        a refund's carries none but `req_info`, which only our APIv2 key decrypts. APIv2 has no timestamp
        or serial: duplicates are told apart by transaction_id / refund_id downstream."""
        creds = await credentials_for(self._credentials, "notification")
        fields = codec.parse_xml(body)
        if fields is None:
            raise NotificationRejected("malformed", "not a flat WeChat XML document")
        if "req_info" in fields:
            try:
                info = codec.parse_xml(codec.decrypt_req_info(fields["req_info"], creds.apiv2_key))
            except codec.DecryptError as exc:
                raise NotificationRejected("decrypt", str(exc)) from None
            if info is None:
                raise NotificationRejected("decrypt", "req_info is not XML once decrypted")
            return self._refund_notification(info)
        if not codec.sign_matches(fields, creds.apiv2_key, fields.get("sign_type") or "MD5"):
            raise NotificationRejected("signature")
        if fields.get("return_code") != "SUCCESS" or not fields.get("out_trade_no"):
            raise NotificationRejected("malformed", "return_code or out_trade_no")
        paid = fields.get("result_code") == "SUCCESS"
        return TransactionNotification(event_type=f"TRANSACTION.{'SUCCESS' if paid else 'FAIL'}",
                                       id=fields.get("transaction_id", ""),
                                       **_transaction(fields, "SUCCESS" if paid else "PAYERROR"))

    def _refund_notification(self, info: dict[str, str]) -> RefundNotification:
        status = REFUND_STATUSES.get(info.get("refund_status", ""), "ABNORMAL")
        event_type = f"REFUND.{status}"
        if not isinstance(info.get("out_refund_no"), str):
            raise malformed_content(event_type, info, "out_refund_no")
        return RefundNotification(
            event_type=event_type, id=info.get("refund_id", ""), out_refund_no=info["out_refund_no"], status=status,
            api=self.name, refund_id=info.get("refund_id"), out_trade_no=info.get("out_trade_no"),
            amount_fen=_fen(info.get("refund_fee")), mchid=info.get("mchid") or info.get("mch_id"), raw=info)

    # -- transport --------------------------------------------------------------------------------

    async def _call(self, path: str, api: str, params: dict[str, str], *,
                    http: httpx.AsyncClient | None = None) -> tuple[WeChatCredentials, dict[str, str]]:
        """One APIv2 call with retries; answers the verified fields (return_code SUCCESS) or raises.

        The document (nonce_str and sign included) is built once and resent as it is, so a retry is the
        "same parameters" WeChat asks for and unifiedorder answers the same prepay_id.
        """
        creds = await credentials_for(self._credentials, api)
        document = self._signed_document(creds, params)
        client = http or self._http

        async def once(timeout: float) -> dict[str, str]:
            try:
                response = await client.post(self._base + path, content=document, timeout=timeout,
                                             headers={"Content-Type": "text/xml; charset=utf-8"})
            except httpx.TransportError as exc:
                raise Transient(type(exc).__name__) from None
            if response.status_code >= 500:
                raise Transient(f"http {response.status_code}")
            answer = codec.parse_xml(response.content)
            if answer is None:
                raise Transient(f"http {response.status_code}, not WeChat XML")
            if answer.get("return_code") != "SUCCESS":
                message = answer.get("return_msg", "")
                if "SYSTEMERROR" in message.upper():
                    raise Transient(f"return_code FAIL: {message}")
                # 签名错误 is the documented return_msg of a bad sign: name it like the APIv3 refusal.
                code = "SIGNERROR" if "签名" in message else "FAIL"
                raise ProviderRejected(code, message, response.status_code)  # not Transient: never retried
            if not codec.sign_matches(answer, creds.apiv2_key, self._sign_type):
                raise Unverified("sign does not match")
            if answer.get("result_code") != "SUCCESS" and answer.get("err_code") in TRANSIENT_ERR_CODES:
                raise Transient(answer["err_code"])
            return answer

        answer = await call_with_retries(once, api=api, attempts=self._attempts, deadline_s=self._deadline_s,
                                         timeout_s=self._timeout_s)
        return creds, answer

    def _signed_document(self, creds: WeChatCredentials, params: dict[str, str]) -> bytes:
        fields = {"appid": creds.appid, "mch_id": creds.mchid, "nonce_str": nonce_str(), "sign_type": self._sign_type,
                  **params}
        try:
            return codec.to_xml(fields, creds.apiv2_key, self._sign_type).encode("utf-8")
        except ValueError as exc:
            raise ProviderRejected("PARAM_ERROR", str(exc)) from None

    @staticmethod
    def _rejected(data: dict[str, str]) -> ProviderRejected:
        code, message = data.get("err_code") or "FAIL", data.get("err_code_des", "")
        log.warning("wechatpay v2 refused the call", extra={"fields": {"err_code": code}})
        if code == "ORDERPAID":
            return AlreadyPaid(message)
        return ProviderRejected(code, message)

    # -- the trade bill (下载交易账单; DESIGN §8) -------------------------------------------------------

    async def trade_bill(self, bill_date: date, bill_type: str = "ALL") -> BillDownload:
        """APIv2 has no apply step and publishes no hash: one signed POST answers the file itself, which
        `download_bill` makes for the day and type named here (the URL says which request, for a reader)."""
        query = urlencode({"bill_date": bill_date.strftime("%Y%m%d"), "bill_type": bill_type})
        return BillDownload(api=self.name, bill_date=bill_date, bill_type=bill_type,
                         download_url=f"{self._base}{DOWNLOADBILL}?{query}")

    async def download_bill(self, bill: BillDownload) -> bytes:
        """POST /pay/downloadbill (gzip): the bill as WeChat sends it, unsigned text, or XML `return_code FAIL`
        (no bill yet: STATEMENT_CREATING; none that day: NO_STATEMENT_EXIST, as APIv3 names them)."""
        creds = await credentials_for(self._credentials, "downloadbill")
        document = self._signed_document(creds, {"bill_date": bill.bill_date.strftime("%Y%m%d"),
                                                 "bill_type": bill.bill_type, "tar_type": "GZIP"})

        async def once(timeout: float) -> bytes:
            try:
                response = await self._http.post(self._base + DOWNLOADBILL, content=document, timeout=timeout,
                                                 headers={"Content-Type": "text/xml; charset=utf-8"})
            except httpx.TransportError as exc:
                raise Transient(type(exc).__name__) from None
            if response.status_code >= 500:
                raise Transient(f"http {response.status_code}")
            refusal = None if bill_files.is_gzip(response.content) else codec.parse_xml(response.content)
            if refusal is None:  # the file: a CSV is no XML document
                return response.content
            message = refusal.get("return_msg", "")
            if "SYSTEMERROR" in message.upper():
                raise Transient(f"return_code FAIL: {message}")
            raise ProviderRejected(BILL_REFUSALS.get(message, refusal.get("error_code") or "FAIL"), message,
                                   response.status_code)

        content = await call_with_retries(once, api="downloadbill", attempts=self._attempts,
                                          deadline_s=bill_files.DOWNLOAD_DEADLINE_S,
                                          timeout_s=bill_files.DOWNLOAD_TIMEOUT_S)
        return await bill_files.plain_bill(content, "downloadbill")

"""The payment-provider interface: value types, the `PaymentProvider` protocol and its errors (no orders' tables here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

TradeState = Literal["SUCCESS", "NOTPAY", "CLOSED", "PAYERROR", "USERPAYING", "REFUND", "NOT_FOUND"]
RefundStatus = Literal["PROCESSING", "SUCCESS", "CLOSED", "ABNORMAL"]
RejectReason = Literal["signature", "serial", "timestamp", "decrypt", "malformed"]


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str
    description: str
    amount_fen: int
    openid: str
    expires_at: datetime  # aware UTC; sent as time_expire so WeChat itself refuses a late payment (DESIGN §3)
    notify_url: str
    attach: str = ""
    client_ip: str = ""  # APIv2 spbill_create_ip (the payer's IP); APIv3 JSAPI does not ask for it


@dataclass(frozen=True)
class PaymentParams:
    prepay_id: str
    request_payment: dict[str, str]  # exactly what wx.requestPayment takes (DESIGN §3 "Checkout")


@dataclass(frozen=True)
class TransactionState:
    trade_state: TradeState
    transaction_id: str | None = None
    amount_total_fen: int | None = None
    payer_openid: str | None = None
    success_time: datetime | None = None  # aware UTC
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        """SUCCESS, or REFUND (paid, then refunded in part or whole)."""
        return self.trade_state in ("SUCCESS", "REFUND")


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    amount_fen: int
    total_fen: int
    reason: str = ""
    notify_url: str = ""


@dataclass(frozen=True)
class RefundState:
    status: RefundStatus
    refund_id: str
    raw: dict[str, Any] = field(default_factory=dict)
    out_refund_no: str = ""
    amount_fen: int | None = None


@dataclass(frozen=True)
class Notification:
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED ...
    kind: Literal["transaction", "refund"]
    resource: dict[str, Any]  # decrypted (APIv3) or the verified XML fields (APIv2)
    id: str  # APIv3 notification id; APIv2 has none, so the transaction_id or refund_id


class PaymentProviderError(Exception):
    """Base of the errors a payment provider raises."""


class ProviderUnavailable(PaymentProviderError):
    """No usable answer after the retries: timeouts, transport errors, 5xx, SYSTEM_ERROR, or an unverifiable answer."""

    def __init__(self, api: str, reason: str, attempts: int = 0) -> None:
        super().__init__(f"{api}: {reason}" + (f" after {attempts} attempt(s)" if attempts else ""))
        self.api, self.reason, self.attempts = api, reason, attempts


class ProviderRejected(PaymentProviderError):
    """A definite business refusal by the provider (never retried); `code` is WeChat's own code."""

    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.status = code, message, status


class AlreadyPaid(ProviderRejected):
    """The order is paid at the provider: it can be neither closed nor prepaid again."""

    def __init__(self, message: str = "", status: int | None = None) -> None:
        super().__init__("ORDERPAID", message, status)


class RefundNotFound(ProviderRejected):
    """No refund with this out_refund_no at the provider."""


class NotificationRejected(PaymentProviderError):
    """A notification that must change nothing; `reason` says why (DESIGN §4 answers 401 for all but `malformed`)."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


class PaymentProvider(Protocol):
    """One way to pay through an outside provider (WeChat Pay APIv3 or APIv2)."""

    name: str

    async def create_payment(self, req: PaymentRequest) -> PaymentParams: ...

    async def query(self, out_trade_no: str) -> TransactionState: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(self, req: RefundRequest) -> RefundState: ...

    async def query_refund(self, out_refund_no: str) -> RefundState: ...

    async def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification: ...

"""The payment-provider interface: value types, the `PaymentProvider` protocol and its errors (no orders' tables here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal, Optional, Protocol

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


@dataclass(frozen=True, kw_only=True)
class TransactionResult:
    """A transaction as a provider reported it (a query's answer), each API's wire format read into one shape."""

    out_trade_no: str
    trade_state: TradeState
    api: str  # the provider that said it: wechatpay_v3 | wechatpay_v2
    transaction_id: Optional[str] = None
    amount_total_fen: Optional[int] = None
    currency: Optional[str] = None
    payer_openid: Optional[str] = None
    success_time: Optional[datetime] = None  # aware UTC
    mchid: Optional[str] = None
    appid: Optional[str] = None
    raw: dict[str, Any] = field(default_factory=dict)  # what the provider sent, kept with the payment

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


@dataclass(frozen=True, kw_only=True)
class RefundResult:
    """A refund as a provider reported it (the answer to a refund or its query)."""

    out_refund_no: str
    status: str  # a RefundStatus; a notification may say something else, which changes nothing
    api: str
    refund_id: Optional[str] = None
    out_trade_no: Optional[str] = None
    amount_fen: Optional[int] = None  # the refunded amount, when stated
    mchid: Optional[str] = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TransactionNotification(TransactionResult):
    """A verified payment notification (支付结果通知) and the transaction it reports."""

    kind: ClassVar[str] = "transaction"
    event_type: str  # TRANSACTION.SUCCESS ...
    id: str  # APIv3's notification id; APIv2 has none, so the transaction_id

    @property
    def resource(self) -> dict[str, Any]:
        """As received: decrypted (APIv3) or the verified XML fields (APIv2)."""
        return self.raw


@dataclass(frozen=True, kw_only=True)
class RefundNotification(RefundResult):
    """A verified refund notification (退款结果通知) and the refund it reports."""

    kind: ClassVar[str] = "refund"
    event_type: str  # REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED ...
    id: str  # APIv3's notification id; APIv2 has none, so the refund_id

    @property
    def resource(self) -> dict[str, Any]:
        return self.raw


Notification = TransactionNotification | RefundNotification


@dataclass(frozen=True, kw_only=True)
class BillDownload:
    """A day's trade bill as a provider offers it (申请交易账单): where to download it and the hash it must have."""

    api: str
    bill_date: date
    bill_type: str  # ALL | SUCCESS | REFUND
    download_url: str
    hash_type: Optional[str] = None  # SHA1; APIv2 publishes no hash
    hash_value: Optional[str] = None


# WeChat's codes when there is no bill to give (APIv2's texts are mapped to them).
BILL_CREATING, NO_BILL = "STATEMENT_CREATING", "NO_STATEMENT_EXIST"


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
    """A notification that must change nothing; `reason` says why (DESIGN §4 answers 401 for all but `malformed`).

    `verified`: its signature (or sign) held and only its content is wrong, so the body is WeChat's own (the
    notification log keeps it whole), with the event type and out_trade_no it names.
    """

    def __init__(self, reason: RejectReason, detail: str = "", *, verified: bool = False,
                 event_type: Optional[str] = None, out_trade_no: Optional[str] = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail
        self.verified, self.event_type, self.out_trade_no = verified, event_type, out_trade_no


def malformed_content(event_type: str, resource: Mapping[str, Any], problem: str) -> NotificationRejected:
    """A verified notification whose content is not what its event type says it is."""
    out_trade_no = resource.get("out_trade_no")
    return NotificationRejected("malformed", problem, verified=True, event_type=event_type,
                                out_trade_no=out_trade_no if isinstance(out_trade_no, str) else None)


class PaymentProvider(Protocol):
    """One way to pay through an outside provider (WeChat Pay APIv3 or APIv2)."""

    name: str

    async def create_payment(self, req: PaymentRequest) -> PaymentParams: ...

    async def query(self, out_trade_no: str) -> TransactionResult: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(self, req: RefundRequest) -> RefundResult: ...

    async def query_refund(self, out_refund_no: str) -> RefundResult: ...

    async def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification: ...

    # -- the trade bill (DESIGN §8), for reconciliation -----------------------------------------------

    async def trade_bill(self, bill_date: date, bill_type: str = "ALL") -> BillDownload:
        """申请交易账单: where the day's bill is and the hash it must have (APIv2 publishes none).
        No bill yet or none at all: ProviderRejected with BILL_CREATING or NO_BILL."""
        ...

    async def download_bill(self, bill: BillDownload) -> bytes:
        """The file of `bill`, decompressed; not checked against its hash (the caller does that)."""
        ...

"""The sandbox merchant's orders and refunds and their rules, shared by APIv3 and APIv2."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

PAID_STATES = ("SUCCESS", "REFUND")
PREPAY_VALIDITY_S = 2 * 3600  # a prepay_id without time_expire is valid two hours


class LedgerError(Exception):
    """A rule refused the call; each API family maps `kind` to its own code."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Order:
    out_trade_no: str
    api: str  # "v3" or "v2": decides the format of its notification
    appid: str
    mchid: str
    description: str
    total: int
    currency: str
    openid: str
    notify_url: str
    attach: str
    prepay_id: str
    expires_at: float  # real epoch seconds
    fingerprint: dict  # the create request, to tell a retry from a reuse of out_trade_no
    sign_type: str = "MD5"  # APIv2 only: its notification is signed the same way
    created_at: float = field(default_factory=time.time)
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: float | None = None
    refunded: int = 0

    def is_expired(self, now: float | None = None) -> bool:
        return (now or time.time()) > self.expires_at


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    order: Order
    refund: int
    reason: str
    notify_url: str
    api: str
    fingerprint: dict
    status: str = "PROCESSING"
    created_at: float = field(default_factory=time.time)
    success_time: float | None = None


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d")


def new_prepay_id() -> str:
    return "wx" + datetime.now(timezone.utc).strftime("%d%H%M%S%f")[:14] + secrets.token_hex(10)


def new_transaction_id() -> str:
    return "4200" + _digits(6) + _today() + _digits(10)  # 28 digits, like WeChat's


def new_refund_id() -> str:
    return "5030" + _digits(5) + _today() + _digits(12)  # 29 digits


class Ledger:
    """All state transitions are synchronous, so each is atomic on the event loop."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.by_prepay: dict[str, Order] = {}
        self.by_transaction: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}

    def create_prepay(self, *, fingerprint: dict, expires_at: float | None, **fields) -> Order:
        existing = self.orders.get(fields["out_trade_no"])
        if existing is not None:
            if existing.trade_state in PAID_STATES:
                raise LedgerError("order_paid", "该订单已支付")
            if existing.trade_state == "CLOSED":
                raise LedgerError("order_closed", "订单已关闭")
            if existing.fingerprint != fingerprint or existing.api != fields["api"]:
                raise LedgerError("duplicate_out_trade_no", "201 商户订单号重复")
            return existing
        order = Order(
            prepay_id=new_prepay_id(),
            fingerprint=fingerprint,
            expires_at=expires_at or time.time() + PREPAY_VALIDITY_S,
            **fields,
        )
        self.orders[order.out_trade_no] = order
        self.by_prepay[order.prepay_id] = order
        return order

    def find(self, out_trade_no: str | None = None, transaction_id: str | None = None) -> Order:
        order = self.orders.get(out_trade_no) if out_trade_no else self.by_transaction.get(transaction_id or "")
        if order is None:
            raise LedgerError("order_not_exist", "订单不存在")
        return order

    def close(self, order: Order) -> Order:
        if order.trade_state in PAID_STATES:
            raise LedgerError("order_paid", "该订单已支付")
        order.trade_state = "CLOSED"
        return order

    def pay(self, prepay_id: str, result: str, force: bool = False) -> Order:
        """The user in front of the cashier: SUCCESS, PAYERROR, USERPAYING or CANCEL."""
        order = self.by_prepay.get(prepay_id)
        if order is None:
            raise LedgerError("prepay_not_exist", "prepay_id 不存在")
        if order.trade_state in PAID_STATES:
            raise LedgerError("order_paid", "该订单已支付")
        if not force and order.trade_state == "CLOSED":
            raise LedgerError("order_closed", "订单已关闭")
        if not force and order.is_expired():
            raise LedgerError("order_expired", "订单已过期 (time_expire)")
        if result == "CANCEL":  # the user closed the cashier: nothing happened at WeChat
            return order
        if order.transaction_id is None:
            order.transaction_id = new_transaction_id()
            self.by_transaction[order.transaction_id] = order
        order.trade_state = result
        if result == "SUCCESS":
            order.success_time = time.time()
        return order

    def create_refund(
        self, order: Order, *, out_refund_no: str, refund: int, total: int,
        reason: str, notify_url: str, api: str, fingerprint: dict,
    ) -> tuple[Refund, bool]:
        """Returns the refund and whether it is new (a retry returns the first one)."""
        existing = self.refunds.get(out_refund_no)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise LedgerError("duplicate_out_refund_no", "商户退款单号重复")
            return existing, False
        if order.trade_state not in PAID_STATES:
            raise LedgerError("order_not_paid", "订单未支付，不能退款")
        if total != order.total:
            raise LedgerError("amount_mismatch", "订单金额与原订单不一致")
        if refund > order.total - order.refunded:
            raise LedgerError("not_enough", "退款金额超过订单可退金额")
        record = Refund(
            out_refund_no=out_refund_no, refund_id=new_refund_id(), order=order, refund=refund,
            reason=reason, notify_url=notify_url, api=api, fingerprint=fingerprint,
        )
        order.refunded += refund
        order.trade_state = "REFUND"  # WeChat's trade_state once a refund was accepted
        self.refunds[out_refund_no] = record
        return record, True

    def find_refund(self, out_refund_no: str) -> Refund:
        refund = self.refunds.get(out_refund_no)
        if refund is None:
            raise LedgerError("refund_not_exist", "退款单不存在")
        return refund

    @staticmethod
    def complete_refund(refund: Refund) -> None:
        refund.status = "SUCCESS"
        refund.success_time = time.time()

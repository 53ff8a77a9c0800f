"""Payments: the provider interface (`interface.py`) and the WeChat Pay providers (`providers/`)."""

from app.payments.interface import (
    AlreadyPaid,
    Notification,
    NotificationRejected,
    PaymentParams,
    PaymentProvider,
    PaymentProviderError,
    PaymentRequest,
    ProviderRejected,
    ProviderUnavailable,
    RefundNotFound,
    RefundRequest,
    RefundState,
    TransactionState,
)

__all__ = [
    "AlreadyPaid", "Notification", "NotificationRejected", "PaymentParams", "PaymentProvider",
    "PaymentProviderError", "PaymentRequest", "ProviderRejected", "ProviderUnavailable", "RefundNotFound",
    "RefundRequest", "RefundState", "TransactionState",
]

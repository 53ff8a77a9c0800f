"""Payments: the provider interface (`interface.py`), the providers (`providers/`), a process's own (`registry.py`)."""

from app.payments.interface import (
    AlreadyPaid, BillDownload, Notification, NotificationRejected, PaymentParams, PaymentProvider,
    PaymentProviderError, PaymentRequest, ProviderRejected, ProviderUnavailable, RefundNotFound, RefundNotification,
    RefundRequest, RefundResult, TransactionNotification, TransactionResult,
)

__all__ = [
    "AlreadyPaid", "BillDownload", "Notification", "NotificationRejected", "PaymentParams", "PaymentProvider",
    "PaymentProviderError", "PaymentRequest", "ProviderRejected", "ProviderUnavailable", "RefundNotFound",
    "RefundNotification", "RefundRequest", "RefundResult", "TransactionNotification", "TransactionResult",
]

"""Request and response models of refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field


class RefundBody(BaseModel):
    amount_fen: int = Field(ge=1, le=100_000_000)
    reason: str = Field(default="", max_length=80)  # WeChat Pay takes at most 80 characters


class RefundOut(BaseModel):
    id: str
    order_id: str
    out_refund_no: str
    amount_fen: int
    status: str = Field(description="PROCESSING, SUCCESS or FAILED")
    reason: str
    cause: str = Field(description="operator or paid_after_close")
    provider: str = Field(description="wechatpay_v3, wechatpay_v2 or wallet")
    provider_refund_id: Optional[str]
    created_by: Optional[str]
    created_at: datetime
    finished_at: Optional[datetime]
    failure: Optional[str]


class OrderRefundOut(BaseModel):
    """A refund as the operators' order detail lists it."""

    id: str
    amount_fen: int
    status: str
    cause: str
    reason: str
    created_at: datetime
    finished_at: Optional[datetime]

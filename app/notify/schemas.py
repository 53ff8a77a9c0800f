"""Response models of the notification log (DESIGN.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field


class NotificationAnswerOut(BaseModel):
    status: int
    body: str


class NotificationOut(BaseModel):
    """One delivery as received and as answered, rejected ones included."""

    id: str
    endpoint: str
    headers: dict[str, str] = Field(description="as sent, without Authorization, Cookie, Proxy-Authorization")
    body: str = Field(description="whole when verified; a refused delivery's first 4 KiB")
    body_size: Optional[int] = Field(description="bytes received (null on entries older than the column)")
    body_truncated: bool
    verdict: str
    event_type: Optional[str]
    out_trade_no: Optional[str]
    answer: NotificationAnswerOut
    received_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: Optional[str] = None

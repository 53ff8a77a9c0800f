"""Response models of the risk events' admin API (DESIGN.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

Kind = Literal["velocity", "pin_guessing", "notify_forgery", "amount_mismatch", "paid_after_close", "refund_anomaly"]


class RiskEventOut(BaseModel):
    id: str
    kind: Kind
    subject: str = Field(description="user:<id>, order:<id> or ip:<source address>")
    details: dict[str, Any] = Field(description="what the first occurrence of the window said")
    at: datetime = Field(description="the first occurrence in this 10-minute window")
    last_at: datetime = Field(description="the latest occurrence in this window")
    count: int = Field(description="occurrences in this window")


class RiskEventPage(BaseModel):
    items: list[RiskEventOut]
    next_cursor: Optional[str]

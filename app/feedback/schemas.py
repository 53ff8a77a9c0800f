"""Request and response models of feedback (DESIGN.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, Field, StringConstraints

Category = Literal["payment_failed", "paid_not_updated", "refund", "delivery", "other"]


class FeedbackIn(BaseModel):
    category: Category
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    error_code: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")]] = None


class ReplyIn(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    resolve: bool = False


class ReplyOut(BaseModel):
    id: str
    text: str
    created_at: datetime


class FeedbackOut(BaseModel):
    id: str
    order_id: str
    category: Category
    text: str
    error_code: Optional[str]
    status: Literal["open", "resolved"]
    order_status: str = Field(description="the order's status when the feedback was filed; for paid_not_updated, "
                                          "after WeChat Pay was asked about it and what it said was applied")
    replies: list[ReplyOut]
    created_at: datetime
    resolved_at: Optional[datetime]


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    next_cursor: Optional[str]


class AdminReplyOut(ReplyOut):
    operator_id: str


class AdminFeedbackOut(FeedbackOut):
    user_id: str
    replies: list[AdminReplyOut]


class AdminFeedbackPage(BaseModel):
    items: list[AdminFeedbackOut]
    next_cursor: Optional[str]

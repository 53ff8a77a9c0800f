"""Request bodies of the refund endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RefundBody(BaseModel):
    amount_fen: int = Field(ge=1, le=100_000_000)
    reason: str = Field(default="", max_length=80)  # WeChat Pay takes at most 80 characters

"""Request models of a user's order API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OrderEventBody(BaseModel):
    event: Literal["payment_cancelled"] = Field(
        description="payment_cancelled: wx.requestPayment answered `requestPayment:fail cancel`")

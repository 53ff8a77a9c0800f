"""Request and response models of orders, the user's and the operators'."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.orders.models import STATUSES
from app.preferences.schemas import AddressOut, InvoiceOut
from app.pricing import PricedLine

# A one-value Literal documents as `const`, which OpenAPI 3.0 lacks: documented as an enum instead.
_EVENT_DOC = {"type": "string", "enum": ["payment_cancelled"],
              "description": "payment_cancelled: wx.requestPayment answered `requestPayment:fail cancel`"}


class OrderEventBody(BaseModel):
    event: Annotated[Literal["payment_cancelled"], WithJsonSchema(_EVENT_DOC)]


# Response models

class DiscountOut(BaseModel):
    promotion_id: str
    name: str
    amount_fen: int
    reason: str


class OrderOut(BaseModel):
    """The contract's order (DESIGN.md §3 "Orders"), the same in lists, details and one-tap. Lines, discounts,
    address and invoice are snapshots taken when the order was made."""

    id: str
    out_trade_no: str
    status: str = Field(description=", ".join(STATUSES))
    lines: list[PricedLine]  # as priced when the order was made
    items_total_fen: int
    discounts: list[DiscountOut]
    discount_fen: int
    payable_fen: int
    payment_method: str
    address: Optional[AddressOut]
    invoice: Optional[InvoiceOut]
    created_at: datetime
    expires_at: datetime
    paid_at: Optional[datetime]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: Optional[str] = None


class AdminOrderOut(OrderOut):
    """An order as operators see it (DESIGN.md §6 "Orders"), unlisted ones included."""

    user_id: str
    provider: str
    transaction_id: Optional[str]
    refunded_fen: int
    closed_at: Optional[datetime]
    close_cause: Optional[str]
    listed: bool
    flags: list[str] = Field(description="the kinds of the order's flags")


class TransitionOut(BaseModel):
    model_config = ConfigDict(json_schema_mode_override="serialization")  # documents `from`, as answered

    from_: Optional[str] = Field(validation_alias="from_status", serialization_alias="from")
    to: str = Field(validation_alias="to_status")
    cause: str
    at: datetime


class FlagOut(BaseModel):
    kind: str
    detail: dict[str, Any]
    at: datetime


class PaymentOut(BaseModel):
    id: str
    transaction_id: str
    amount_fen: int
    provider: str
    paid_at: Optional[datetime]

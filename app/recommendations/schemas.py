"""Response models of `GET /api/v1/recommendations` (DESIGN.md §3), also used by checkout prefill: the answers are
made through them, and they document the API (OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field


class MethodChoiceOut(BaseModel):
    method: str
    reason_code: str = Field(description="BALANCE_LOW, METHOD_DEGRADED, RECENT_FAILURE, NEW_USER, HABIT, PROMOTION "
                                         "(USER_DEFAULT in prefill when the user's own default decided)")
    reason: str


class PaymentMethodOut(MethodChoiceOut):
    alternatives: list[MethodChoiceOut]


class OfferOut(BaseModel):
    id: str
    name: str
    kind: str
    reason: str
    # Absent, not null, where they do not apply (DESIGN.md §3 `"discount_fen"?`).
    discount_fen: Optional[int] = Field(None, description="what it takes off the cart (only with items)",
                                        exclude_if=lambda value: value is None)
    shortfall_fen: Optional[int] = Field(None, description="what a threshold still needs (only with items)",
                                         exclude_if=lambda value: value is None)
    hint: Optional[str] = Field(None, description="再买 ¥12.00 可减 ¥20.00, when the shortfall is within 30 % of the cart",
                                exclude_if=lambda value: value is None)


class BuyAgainOut(BaseModel):
    product_id: str
    name: str
    price_fen: int
    reason: str
    last_bought_at: datetime
    due_in_days: int = Field(description="days until the usual interval since the last purchase is reached "
                                         "(negative: overdue)")


class ContextOut(BaseModel):
    city: Optional[str]
    local_hour: int = Field(description="0-23, Asia/Shanghai")
    cart_payable_fen: Optional[int] = Field(description="the cart priced with the recommended method (with items)")


class RecommendationsOut(BaseModel):
    payment_method: PaymentMethodOut
    offers: list[OfferOut]
    buy_again: list[BuyAgainOut]
    context: ContextOut

"""Request models of quote and one-tap (DESIGN.md §3 "Checkout")."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

MAX_LINES = 50


class Item(BaseModel):
    product_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=999, strict=True)


class QuoteBody(BaseModel):
    items: list[Item] = Field(min_length=1, max_length=MAX_LINES)
    # Any string: an unknown method is PAYMENT_METHOD_UNAVAILABLE (its own step), not a validation error.
    payment_method: str | None = Field(default=None, max_length=32)
    address_id: str | None = Field(default=None, max_length=40)


class OneTapBody(BaseModel):
    items: list[Item] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    reorder_of: str | None = Field(default=None, min_length=1, max_length=40)
    payment_method: str | None = Field(default=None, max_length=32)
    address_id: str | None = Field(default=None, max_length=40)
    expected_payable_fen: int | None = Field(default=None, ge=0, strict=True)
    wallet_pin: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _items_or_reorder(self) -> OneTapBody:
        if (self.items is None) == (self.reorder_of is None):
            raise ValueError("send either items or reorder_of")
        return self

"""Request and response models of quote, one-tap and prefill (DESIGN.md §3 "Checkout")."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field, model_validator

from app.preferences.schemas import AddressOut, InvoiceOut
from app.pricing import MAX_LINES
from app.recommendations.schemas import BuyAgainOut, OfferOut, PaymentMethodOut
from app.wallet.schemas import WalletOut


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


class PrefillOut(BaseModel):
    address: Optional[AddressOut]
    invoice: Optional[InvoiceOut]
    payment_method: PaymentMethodOut
    wallet: WalletOut
    offers: list[OfferOut]
    buy_again: list[BuyAgainOut]

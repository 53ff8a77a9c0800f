"""Request and response models of quote, one-tap and prefill (DESIGN.md §3 "Checkout")."""

from __future__ import annotations

from typing import Optional, Union

from pydantic import BaseModel, Field, model_validator

from app.orders.schemas import DiscountOut, OrderOut
from app.preferences.schemas import AddressOut, InvoiceOut
from app.pricing import MAX_LINES, PricedLine
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


class QuoteOut(BaseModel):
    lines: list[PricedLine]
    items_total_fen: int
    discounts: list[DiscountOut]
    discount_fen: int
    payable_fen: int
    payment_method: str = Field(description="the method it is priced with")
    address: Optional[AddressOut] = Field(description="the address a one-tap would use (a quote never asks for one)")


class RequestPaymentOut(BaseModel):
    """Exactly what wx.requestPayment takes (DESIGN.md §3 "Checkout")."""

    timeStamp: str
    nonceStr: str
    package: str = Field(description="prepay_id=...")
    signType: str = Field(description="RSA (APIv3); HMAC-SHA256 or MD5 (APIv2)")
    paySign: str


class PrepayOut(BaseModel):
    method: str = Field(description="wechatpay: WeChat's cashier opens with request_payment")
    request_payment: RequestPaymentOut


class PaidOut(BaseModel):
    method: str = Field(description="wallet, or wechatpay when the payment was found before the answer")
    status: str = Field(description="PAID")


class OneTapOut(BaseModel):
    order: OrderOut
    payment: Union[PrepayOut, PaidOut]


class PrefillOut(BaseModel):
    address: Optional[AddressOut]
    invoice: Optional[InvoiceOut]
    payment_method: PaymentMethodOut
    wallet: WalletOut
    offers: list[OfferOut]
    buy_again: list[BuyAgainOut]

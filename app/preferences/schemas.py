"""Request and response models of preferences, addresses, invoice title and phone binding.

Request models accept WeChat's own objects (`wx.chooseAddress`, `wx.chooseInvoiceTitle`) as well as our
snake_case fields. WeChat's camelCase keys are renamed to snake_case *before* validation, so an error always
names the snake_case field (`name`, never `userName`), whichever shape the client sent. When a body carries
both spellings of one field, the snake_case one wins.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, Field, StrictBool, StringConstraints, field_validator, model_validator

from app.core.settings import PAYMENT_METHODS

_PHONE = r"^[0-9+-]{5,32}$"  # digits, `+` and `-` only (DESIGN.md §3)
_TAX_NUMBER = re.compile(r"^[0-9A-Z]{15,20}$")  # 统一社会信用代码 / 纳税人识别号

# wx.chooseAddress → our names (its `errMsg` and anything else unknown are ignored).
WECHAT_ADDRESS_KEYS = {
    "userName": "name", "telNumber": "phone", "provinceName": "province", "cityName": "city",
    "countyName": "district", "detailInfo": "detail", "postalCode": "postal_code", "nationalCode": "national_code",
}
# wx.chooseInvoiceTitle → our names (`type`, `title`, `telephone` are spelled the same).
WECHAT_INVOICE_KEYS = {
    "taxNumber": "tax_number", "companyAddress": "company_address", "bankName": "bank_name",
    "bankAccount": "bank_account",
}
# wx.chooseInvoiceTitle's `type`: 0 = 单位 (company), 1 = 个人 (personal); numbers or strings.
INVOICE_TYPES = {0: "company", "0": "company", "company": "company", "单位": "company",
                 1: "personal", "1": "personal", "personal": "personal", "个人": "personal"}


def _rename(data: Any, keys: dict[str, str]) -> Any:
    if not isinstance(data, dict):
        return data
    renamed = dict(data)
    for wechat_key, our_key in keys.items():
        if wechat_key in data and our_key not in data:
            renamed[our_key] = data[wechat_key]
    return renamed


# Surrounding whitespace is dropped before the length limits apply. (A `model_config` would do the same,
# but sanic-ext then lists `model_config` among the body's properties in the OpenAPI document.)
Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class AddressIn(BaseModel):
    """A new or replacing address: `wx.chooseAddress`'s object as it is, or snake_case."""

    name: Text = Field(min_length=1, max_length=64)
    phone: Text = Field(pattern=_PHONE, description="digits, + and - only")
    province: Text = Field("", max_length=64)
    city: Text = Field("", max_length=64)
    district: Text = Field("", max_length=64)
    detail: Text = Field(min_length=1, max_length=256)
    postal_code: Text = Field("", max_length=16)
    national_code: Text = Field("", max_length=16)
    is_default: Optional[StrictBool] = Field(
        None, description="true makes it the default; false on the default leaves no default; absent changes nothing",
    )

    @model_validator(mode="before")
    @classmethod
    def _wechat_shape(cls, data: Any) -> Any:
        return _rename(data, WECHAT_ADDRESS_KEYS)


class InvoiceIn(BaseModel):
    """An invoice title: `wx.chooseInvoiceTitle`'s object (`type` 0/1) or snake_case (`type` company/personal)."""

    type: Literal["company", "personal"]
    title: Text = Field(min_length=1, max_length=128)
    tax_number: Text = Field("", max_length=20, description="15–20 letters or digits; required for a company")
    company_address: Text = Field("", max_length=256)
    telephone: Text = Field("", max_length=32)
    bank_name: Text = Field("", max_length=128)
    bank_account: Text = Field("", max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _wechat_shape(cls, data: Any) -> Any:
        return _rename(data, WECHAT_INVOICE_KEYS)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value not in INVOICE_TYPES:
            raise ValueError('must be 0 or "company" (单位), 1 or "personal" (个人)')
        return INVOICE_TYPES[value]

    @field_validator("tax_number")
    @classmethod
    def _tax_number(cls, value: str) -> str:
        value = value.upper()
        if value and not _TAX_NUMBER.match(value):
            raise ValueError("must be 15 to 20 letters or digits")
        return value

    @field_validator("telephone")
    @classmethod
    def _telephone(cls, value: str) -> str:
        if value and not re.match(_PHONE, value):
            raise ValueError("must be 5 to 32 digits, + or -")
        return value


class PreferencesPatch(BaseModel):
    """Any subset of the preferences; a field sent as null clears it."""

    default_payment_method: Optional[Text] = Field(None, description=f"one of {', '.join(PAYMENT_METHODS)}, or null")
    default_address_id: Optional[Text] = Field(None, max_length=40, description="one of your addresses, or null")
    one_tap_enabled: StrictBool = True

    @field_validator("default_payment_method")
    @classmethod
    def _method(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and value not in PAYMENT_METHODS:
            raise ValueError(f"must be one of {', '.join(PAYMENT_METHODS)}, or null")
        return value


class PhoneBody(BaseModel):
    code: Text = Field(min_length=1, max_length=128, description="the code from getPhoneNumber")


# Response models (for the OpenAPI document; handlers answer the dicts that service.py builds).

class AddressOut(BaseModel):
    id: str
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str
    national_code: str
    is_default: bool
    created_at: datetime
    updated_at: datetime


class AddressPage(BaseModel):
    items: list[AddressOut]
    next_cursor: Optional[str]


class InvoiceOut(BaseModel):
    type: Literal["company", "personal"]
    title: str
    tax_number: str
    company_address: str
    telephone: str
    bank_name: str
    bank_account: str
    updated_at: datetime


class PreferencesOut(BaseModel):
    default_payment_method: Optional[str]
    default_address_id: Optional[str]
    invoice: Optional[InvoiceOut]
    one_tap_enabled: bool


class PhoneOut(BaseModel):
    phone_masked: str


"""Request and response models of the wallet API, operators' credits included."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field

PIN_FREE_LIMIT_MAX_FEN = 30_000
MAX_CREDIT_FEN = 1_000_000  # 10,000 yuan per credit


class SetPinBody(BaseModel):
    pin: str = Field(description="6 digits")
    current_pin: str | None = Field(default=None, description="needed to change an existing PIN")


class WalletPatch(BaseModel):
    pin_free_limit_fen: int = Field(ge=0, le=PIN_FREE_LIMIT_MAX_FEN, strict=True)
    pin: str | None = None


class CreditBody(BaseModel):
    amount_fen: int = Field(ge=1, le=MAX_CREDIT_FEN, strict=True)
    reason: str = Field(min_length=1, max_length=200)


class WalletOut(BaseModel):
    balance_fen: int
    pin_set: bool
    pin_free_limit_fen: int


class LedgerEntryOut(BaseModel):
    id: str
    kind: str
    amount_fen: int
    balance_after_fen: int
    reason: str
    order_id: Optional[str]
    created_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEntryOut]
    next_cursor: Optional[str] = None


class CreditOut(BaseModel):
    user_id: str
    balance_fen: int
    entry: LedgerEntryOut

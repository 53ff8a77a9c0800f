"""Request models of the wallet API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.wallet.service import PIN_FREE_LIMIT_MAX_FEN


class SetPinBody(BaseModel):
    pin: str = Field(description="6 digits")
    current_pin: str | None = Field(default=None, description="needed to change an existing PIN")


class WalletPatch(BaseModel):
    pin_free_limit_fen: int = Field(ge=0, le=PIN_FREE_LIMIT_MAX_FEN, strict=True)
    pin: str | None = None


class WalletOut(BaseModel):
    balance_fen: int
    pin_set: bool
    pin_free_limit_fen: int

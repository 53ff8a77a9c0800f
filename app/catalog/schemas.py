"""Request and response models of the catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator

MAX_PRICE_FEN = 100_000_000  # 1,000,000 yuan: far beyond any item, far below integer overflow
MAX_STOCK = 1_000_000_000


class ProductIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=128)
    price_fen: int = Field(ge=1, le=MAX_PRICE_FEN, strict=True)
    stock: int = Field(ge=0, le=MAX_STOCK, strict=True)
    category: str = Field(min_length=1, max_length=64)
    on_sale: bool = True


class ProductPatch(BaseModel):
    """Any subset; a field sent as null is refused (none of these can be empty)."""

    name: Optional[str] = Field(default=None, min_length=1, max_length=128)
    price_fen: Optional[int] = Field(default=None, ge=1, le=MAX_PRICE_FEN, strict=True)
    stock: Optional[int] = Field(default=None, ge=0, le=MAX_STOCK, strict=True)
    category: Optional[str] = Field(default=None, min_length=1, max_length=64)
    on_sale: Optional[bool] = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class PublicProductOut(BaseModel):
    id: str
    sku: str
    name: str
    price_fen: int
    stock: int
    category: str


class ProductOut(PublicProductOut):
    on_sale: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: Optional[str] = None


class PublicProductPage(BaseModel):
    items: list[PublicProductOut]
    next_cursor: Optional[str] = None

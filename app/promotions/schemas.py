"""Request and response models of promotions, and the rules that tie their fields together (DESIGN.md §6)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.errors import ValidationFailed
from app.core.settings import PAYMENT_METHODS
from app.pricing.domain import PROMOTION_KINDS

MAX_FEN = 100_000_000
KIND_FIELDS = {"amount_off": ("amount_off_fen",), "percent_off": ("percent_off",),
               "threshold": ("threshold_fen", "amount_off_fen")}
AMOUNT_FIELDS = ("amount_off_fen", "percent_off", "threshold_fen")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    """Times are UTC (DESIGN.md §2): a time without an offset is read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.utcoffset() is None else value.astimezone(timezone.utc)


class Hours(BaseModel):
    """A local (Asia/Shanghai) window; `to` may be "24:00", and from > to wraps past midnight (22:00–02:00)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="HH:MM")
    to: str = Field(description="HH:MM, or 24:00")

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be HH:MM from 00:00 to 23:59")
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        if not (_HHMM.match(value) or value == "24:00"):
            raise ValueError("must be HH:MM from 00:00 to 24:00")
        return value


class Conditions(BaseModel):
    payment_method: list[Literal[PAYMENT_METHODS]] = Field(default_factory=list, max_length=10)  # type: ignore[valid-type]
    categories: list[str] = Field(default_factory=list, max_length=100)
    cities: list[str] = Field(default_factory=list, max_length=500)
    new_user_only: bool = False
    hours: Optional[Hours] = None

    def to_json(self) -> dict[str, Any]:
        return {"payment_method": list(dict.fromkeys(self.payment_method)),
                "categories": list(dict.fromkeys(self.categories)), "cities": list(dict.fromkeys(self.cities)),
                "new_user_only": self.new_user_only,
                "hours": {"from": self.hours.from_, "to": self.hours.to} if self.hours else None}


class _PromotionFields(BaseModel):
    amount_off_fen: Optional[int] = Field(default=None, ge=1, le=MAX_FEN, strict=True)
    percent_off: Optional[int] = Field(default=None, ge=1, le=99, strict=True)
    threshold_fen: Optional[int] = Field(default=None, ge=1, le=MAX_FEN, strict=True)
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    per_user_limit: Optional[int] = Field(default=None, ge=1, le=1_000_000, strict=True)
    budget_fen: Optional[int] = Field(default=None, ge=1, le=10 * MAX_FEN, strict=True)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _in_utc(cls, value: Optional[datetime]) -> Optional[datetime]:
        return _utc(value)


class PromotionIn(_PromotionFields):
    name: str = Field(min_length=1, max_length=64)
    kind: Literal[PROMOTION_KINDS]  # type: ignore[valid-type]
    enabled: bool = True
    priority: int = Field(default=0, ge=-1000, le=1000, strict=True)
    stackable: bool = False
    conditions: Conditions = Field(default_factory=Conditions)


class PromotionPatch(_PromotionFields):
    """Any subset. Amounts, window, limit and budget may be set to null (no budget = unlimited).

    `conditions`, when sent, replaces the whole conditions object.
    """

    name: Optional[str] = Field(default=None, min_length=1, max_length=64)
    kind: Optional[Literal[PROMOTION_KINDS]] = None  # type: ignore[valid-type]
    enabled: Optional[bool] = None
    priority: Optional[int] = Field(default=None, ge=-1000, le=1000, strict=True)
    stackable: Optional[bool] = None
    conditions: Optional[Conditions] = None

    @field_validator("name", "kind", "enabled", "priority", "stackable", "conditions", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


def normalise(state: dict[str, Any]) -> dict[str, Any]:
    """Check what no single field can check alone; amounts the kind does not use become null.

    Raises VALIDATION_FAILED listing every problem with its dotted field.
    """
    problems: list[dict[str, str]] = []
    kind = state["kind"]
    used = KIND_FIELDS[kind]
    for name in used:
        if state.get(name) is None:
            problems.append({"field": name, "reason": f"is required for kind {kind}"})
    if kind == "threshold" and not problems and state["threshold_fen"] <= state["amount_off_fen"]:
        problems.append({"field": "threshold_fen", "reason": "must be greater than amount_off_fen"})
    if state.get("starts_at") and state.get("ends_at") and state["ends_at"] <= state["starts_at"]:
        problems.append({"field": "ends_at", "reason": "must be after starts_at"})
    hours = (state.get("conditions") or {}).get("hours")
    if hours and hours["from"] == hours["to"]:
        problems.append({"field": "conditions.hours.to", "reason": "must differ from conditions.hours.from"})
    if problems:
        raise ValidationFailed(problems)
    return {**state, **{name: None for name in AMOUNT_FIELDS if name not in used}}


class PromotionOut(BaseModel):
    id: str
    name: str
    kind: str
    amount_off_fen: Optional[int]
    percent_off: Optional[int]
    threshold_fen: Optional[int]
    enabled: bool
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    priority: int
    stackable: bool
    per_user_limit: Optional[int]
    budget_fen: Optional[int]
    conditions: dict[str, Any]
    budget_used_fen: int
    created_at: datetime
    updated_at: datetime
    version: int


class PromotionPage(BaseModel):
    items: list[PromotionOut]
    next_cursor: Optional[str] = None

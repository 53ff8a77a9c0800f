"""Request and response models of the operators' API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from app.operators.roles import OPERATOR, ROLES


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    access_token: str
    expires_in: int


class OperatorIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal[ROLES] = OPERATOR  # type: ignore[valid-type]


class OperatorOut(BaseModel):
    id: str
    username: str
    role: str
    created_at: datetime


class OperatorList(BaseModel):
    items: list[OperatorOut]
    next_cursor: Optional[str] = None


class AuditOut(BaseModel):
    id: str
    operator_id: str
    action: str
    target_type: str
    target_id: str
    before: Optional[dict[str, Any]] = None
    after: Optional[dict[str, Any]] = None
    at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: Optional[str] = None

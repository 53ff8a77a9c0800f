"""Request and response models of help (DESIGN.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

from pydantic import BaseModel, StringConstraints, field_validator

from app.core.errors import CATALOG

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _known(code: Optional[str]) -> Optional[str]:
    if code is not None and code not in CATALOG:
        raise ValueError("is not an error code of the API")
    return code


class HelpIn(BaseModel):
    code: str
    question: Question
    answer: Answer

    _code = field_validator("code")(_known)


class HelpPatch(BaseModel):
    code: Optional[str] = None
    question: Optional[Question] = None
    answer: Optional[Answer] = None

    _code = field_validator("code")(_known)


class HelpOut(BaseModel):
    id: str
    code: str
    question: str
    answer: str


class HelpList(BaseModel):
    items: list[HelpOut]


class HelpAdminOut(HelpOut):
    created_at: datetime
    updated_at: datetime


class HelpAdminList(BaseModel):
    items: list[HelpAdminOut]

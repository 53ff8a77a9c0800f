"""Request models of a user's order API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, WithJsonSchema

# A one-value Literal documents as `const`, which OpenAPI 3.0 lacks: documented as an enum instead.
_EVENT_DOC = {"type": "string", "enum": ["payment_cancelled"],
              "description": "payment_cancelled: wx.requestPayment answered `requestPayment:fail cancel`"}


class OrderEventBody(BaseModel):
    event: Annotated[Literal["payment_cancelled"], WithJsonSchema(_EVENT_DOC)]

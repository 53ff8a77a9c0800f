"""Newest-first pages over time-sortable ids: the one query shape behind every list of the API."""

from __future__ import annotations

from typing import Optional, TypeVar

from tortoise.queryset import QuerySet

from app.core.errors import ValidationFailed

Q = TypeVar("Q", bound=QuerySet)


def newest_first(query: Q, limit: int, before_id: Optional[str], *, id_prefix: Optional[str] = None) -> Q:
    """Up to limit+1 rows older than `before_id`, newest first (what `app.core.http.page` needs).

    With `id_prefix`, a cursor that is not one of those ids is VALIDATION_FAILED on `cursor`.
    """
    if before_id is not None:
        if id_prefix is not None and not before_id.startswith(f"{id_prefix}_"):
            raise ValidationFailed.one("cursor", "is not a cursor this API gave out")
        query = query.filter(id__lt=before_id)
    return query.order_by("-id").limit(limit + 1)

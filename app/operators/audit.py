"""The audit log: who changed what, with the state before and after, in the transaction of the change."""

from __future__ import annotations

from typing import Any, Optional

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.pagination import newest_first
from app.core.security import new_id
from app.core.serialize import view
from app.operators.models import AuditEntry
from app.operators.schemas import AuditOut


async def record(connection: BaseDBAsyncClient, operator_id: str, action: str, target_type: str, target_id: str,
                 before: Optional[dict[str, Any]], after: Optional[dict[str, Any]]) -> AuditEntry:
    """Write one entry on `connection`: pass the transaction of the change so both commit or neither does."""
    return await AuditEntry.create(
        id=new_id("aud"), operator_id=operator_id, action=action, target_type=target_type, target_id=target_id,
        before=before, after=after, using_db=connection,
    )


async def list_entries(limit: int, before_id: Optional[str], *, action: Optional[str] = None,
                       target_id: Optional[str] = None) -> list[dict[str, Any]]:
    """Newest first (ids sort by creation time); up to limit+1 entries for `app.core.http.page`."""
    query = AuditEntry.all()
    if action:
        query = query.filter(action=action)
    if target_id:
        query = query.filter(target_id=target_id)
    return [view(AuditOut, entry) for entry in await newest_first(query, limit, before_id, id_prefix="aud")]

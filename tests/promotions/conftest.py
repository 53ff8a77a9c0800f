"""Leave no enabled promotion behind: the session's server is shared, and quotes elsewhere must not see ours."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from app.promotions import versions
from app.promotions.models import Promotion


@pytest.fixture(autouse=True)
async def _switch_off_promotions_made_here(server):
    before = set(await Promotion.filter(enabled=True).values_list("id", flat=True))
    yield
    made_here = set(await Promotion.filter(enabled=True).values_list("id", flat=True)) - before
    if made_here:
        async with in_transaction() as connection:
            await Promotion.filter(id__in=made_here).using_db(connection).update(enabled=False)
            await versions.bump_in(connection)
        await versions.announce(server.app.ctx.deps.redis)

"""When a PROCESSING WeChat Pay refund is asked about: a backoff from its creation, then a slow steady pace.

WeChat Pay finishes most refunds within seconds to minutes; a refund to a bank card can take days. The
refund notification normally ends it first; these queries make sure a lost notification cannot leave an
order REFUNDING for ever (DESIGN §6 "finish on the refund notification (or query)").
"""

from __future__ import annotations

from datetime import datetime, timedelta

QUERY_SCHEDULE_S = (10, 60, 300, 1800, 7200)  # seconds after the refund was created
REQUERY_S = 6 * 3600  # after the last slot, and for a refund WeChat Pay calls ABNORMAL
LEASE_S = 60  # a claimed refund whose job never finished is due again after this


def first_query_at(created_at: datetime) -> datetime:
    return created_at + timedelta(seconds=QUERY_SCHEDULE_S[0])


def next_query_at(created_at: datetime, attempts: int, now: datetime) -> datetime:
    """After `attempts` queries: the next slot, never in the past; past the schedule, REQUERY_S from now."""
    if attempts < len(QUERY_SCHEDULE_S):
        return max(created_at + timedelta(seconds=QUERY_SCHEDULE_S[attempts]), now)
    return now + timedelta(seconds=REQUERY_S)

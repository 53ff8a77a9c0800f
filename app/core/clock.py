"""Time: now as an aware UTC datetime, and Beijing time (WeChat Pay's and the pricing rules' local time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# Asia/Shanghai: UTC+8 all year (no daylight saving since 1991). A fixed offset needs no tz database on the host.
CHINA_TZ = timezone(timedelta(hours=8))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

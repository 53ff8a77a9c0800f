"""Trade-bill downloads shared by the WeChat Pay providers: a gzip answer undone off the event loop."""

from __future__ import annotations

import asyncio
import gzip
import zlib

from app.payments.interface import ProviderUnavailable

GZIP_MAGIC = b"\x1f\x8b"
# A download may be a large file (a busy merchant's day): more time than an API call, fewer attempts left to it.
DOWNLOAD_TIMEOUT_S = 30.0
DOWNLOAD_DEADLINE_S = 90.0


def is_gzip(content: bytes) -> bool:
    return content[:2] == GZIP_MAGIC


async def plain_bill(content: bytes, api: str) -> bytes:
    """The bill as text: gunzipped in a thread when WeChat sent it compressed (`tar_type=GZIP`), since a big
    day's file takes longer than the event loop may be held."""
    if not is_gzip(content):
        return content
    try:
        return await asyncio.to_thread(gzip.decompress, content)
    except (OSError, EOFError, zlib.error) as exc:  # cut short on the way: download it again
        raise ProviderUnavailable(api, f"the bill's gzip does not read: {type(exc).__name__}") from None

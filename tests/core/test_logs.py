"""The log scrubber: the last line of defence against secrets and phone numbers in log lines."""

from __future__ import annotations

from app.core.logs import scrub


def test_log_scrubber_masks_secrets_and_phone_numbers():
    line = ('{"session_key":"abc123==","msg":"call 13800138000 or 020-81167888",'
            '"auth":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJlLXZhbHVl","pin":"258147"}')
    clean = scrub(line)
    for secret in ("abc123==", "13800138000", "81167888", "eyJhbGciOiJIUzI1NiJ9", "258147"):
        assert secret not in clean
    assert "138****8000" in clean

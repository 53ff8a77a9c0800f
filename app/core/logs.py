"""Structured JSON log lines, with tokens, keys and phone numbers scrubbed before anything is written."""

from __future__ import annotations

import logging
import re
import sys
import time

import orjson

# Redaction is the last line of defence: code never logs these on purpose (DESIGN.md §3, STYLE.md).
_SCRUBBERS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "[jwt]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1[token]"),
    (re.compile(r"(?i)(session_key|access_token|refresh_token|secret|password|pin|wallet_pin|current_pin|js_code)"
                r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"), r"\1\2[redacted]"),
    (re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),  # mainland mobile
    (re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?!\d)"), "[phone]"),  # landline with area code
]


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return scrub(orjson.dumps(line, default=str).decode())


def configure(level: str = "INFO") -> None:
    """Send our logs and Sanic's as JSON lines to stderr; Sanic's own access log is replaced by ours."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("yijian", "sanic.root", "sanic.error", "sanic.server", "tortoise"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(level if name == "yijian" else max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    logging.getLogger("sanic.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)

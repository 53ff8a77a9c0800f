"""JSON as the API writes it (orjson; datetimes ISO-8601, UTC as `Z`), for answers and for JSON kept in the database."""

from __future__ import annotations

from typing import Any

import orjson

OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=OPTIONS)


def jsonable(value: Any) -> Any:
    """Plain JSON types (datetimes as the API writes them), as stored in JSON columns and replayed byte for byte."""
    return orjson.loads(dumps(value))

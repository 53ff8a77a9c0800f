"""JSON as the API writes it (orjson; datetimes ISO-8601, UTC as `Z`), and answers made through their response model.

Every answer goes through its pydantic response model once (`view`): the model says which fields an answer has,
for the OpenAPI document and for the JSON alike, and nothing else gets out.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=OPTIONS)


def jsonable(value: Any) -> Any:
    """Plain JSON types (datetimes as the API writes them), as stored in JSON columns and replayed byte for byte."""
    return orjson.loads(dumps(value))


def view(model: type[BaseModel], value: Any, **computed: Any) -> dict[str, Any]:
    """`value` (a row, a dataclass, a dict) as `model` answers it, in Python types (datetimes stay datetimes, for
    `dumps`). `computed` gives the fields the value does not hold itself (an address's `is_default`, say)."""
    if computed:
        value = {**{name: getattr(value, name) for name in model.model_fields
                    if name not in computed and hasattr(value, name)}, **computed}
    return model.model_validate(value, from_attributes=True).model_dump(by_alias=True)

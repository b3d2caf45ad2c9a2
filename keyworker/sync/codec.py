"""Values in ops, encoded deterministically so the same change gives the same bytes on every
laptop: dates and datetimes as ISO 8601 (datetimes in UTC), UUIDs as strings, bytes as base64,
enums by value; JSON with sorted keys and no spaces. Decoding uses the column's type."""
from __future__ import annotations

import base64
import enum
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, LargeBinary

from keyworker.db.base import UTCDateTime


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot encode a {type(value).__name__} in an op")


def decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    t = column.type
    if isinstance(t, UTCDateTime):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(t, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(t, Date):
        return date.fromisoformat(value)
    if isinstance(t, LargeBinary):
        return base64.b64decode(value)
    return value


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    return json.loads(text)

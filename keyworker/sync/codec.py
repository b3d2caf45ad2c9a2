"""Values in ops, encoded deterministically so the same change gives the same bytes on every
laptop: dates and datetimes as ISO 8601 (datetimes in UTC), UUIDs as strings, bytes as base64,
enums by value; JSON with sorted keys and no spaces. Decoding uses the column's type."""
from __future__ import annotations

import base64
import enum
import json
import uuid
import zlib
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


COMPRESS_OVER = 512  # bytes of JSON; below this zlib saves nothing worth its time
# Above this the payload is a document's bytes (a PDF, already compressed, in base64): zlib would
# win back only the base64 (about a quarter) for 2.5 ms per 100 KB on the write path.
COMPRESS_UNDER = 64 * 1024


def pack(obj: Any) -> bytes:
    """An op's plaintext: its canonical JSON, zlib-compressed (level 1) when it is text of some
    length. A zlib stream starts with 0x78 and JSON with "{", so `unpack` tells them apart. Fewer
    bytes to seal, to write on the laptop (a care plan version's content is about 5 KB) and to send."""
    raw = dumps(obj).encode()
    return zlib.compress(raw, 1) if COMPRESS_OVER < len(raw) < COMPRESS_UNDER else raw


def unpack(plain: bytes) -> Any:
    return json.loads(zlib.decompress(plain) if plain[:1] == b"\x78" else plain)

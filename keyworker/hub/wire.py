"""Reading the JSON a laptop sends: each helper checks one value and answers 400 in plain words."""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from keyworker.hub.errors import bad_request

_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def whole(value: Any, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2**62:  # bigint
        raise bad_request(f"{what} must be a whole number of at least {minimum}")
    return value


def uuid_of(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise bad_request(f"{what} is not a UUID") from None


def word(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise bad_request(f"{what} must be 1 to 100 letters, digits or . _ : -")
    return value


def when(value: Any, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        raise bad_request(f"{what} is not an ISO 8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)  # the laptops keep UTC without an offset


def b64(value: Any, what: str, *, max_bytes: int) -> bytes:
    if not isinstance(value, str) or len(value) > (max_bytes * 4) // 3 + 4:
        raise bad_request(f"{what} must be base64 of at most {max_bytes} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{what} is not valid base64") from None

"""A request the hub refuses on purpose: an HTTP status, plain words for the person at the laptop,
and what to write to `hub_audit` (when `action` is set). The app turns it into
`{"error": "<message>"}`; nothing else about the failure reaches the client."""
from __future__ import annotations

import uuid


class Refused(Exception):
    def __init__(self, status: int, message: str, *, action: str | None = None, detail: str = "",
                 unit_id: str | None = None, device_id: uuid.UUID | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.action = action
        self.detail = detail
        self.unit_id = unit_id
        self.device_id = device_id
        self.headers = headers or {}


def bad_request(message: str) -> Refused:
    """Malformed input: not audited (it is a laptop's bug, not an attempt at something)."""
    return Refused(400, message)

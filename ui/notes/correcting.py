"""What the note and contact dialogs share when they correct a record: the reason is required
(keyworker/corrections.py says how), shown at its field before anything is sent."""
from __future__ import annotations

from typing import Any

from keyworker import corrections
from keyworker.errors import ValidationError


def reason_problems(values: dict[str, Any], correcting: object | None) -> dict[str, str]:
    """The reason's error ({} when fine, or when this is a new record, not a correction)."""
    if correcting is None:
        return {}
    try:
        corrections.clean_reason(values.get("correction_reason"))
    except ValidationError as e:
        return dict(e.fields)
    return {}

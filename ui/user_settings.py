"""Per-user choices on this computer (the Today page's Mine/Unit switch, the caseload's columns),
kept in QSettings under the unit and the signed-in account, so two units or two staff sharing a
laptop each keep their own. Nothing here is about a resident."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings


def user_key(book: Any, name: str) -> str:
    """The settings key for `name` of the signed-in user of this unit (the unit by its file's path:
    no database read on the UI thread)."""
    unit = hashlib.sha256(str(Path(book.path).resolve()).encode()).hexdigest()[:16]
    return f"users/{unit}-{book.actor.id}/{name}"


def load(book: Any, name: str, default: Any = None) -> Any:
    return QSettings().value(user_key(book, name), default)


def save(book: Any, name: str, value: Any) -> None:
    QSettings().setValue(user_key(book, name), value)

"""Buttons other areas add to the resident's Notes tab ("Record session…" from the key-work
sessions area). Register at import of the area's ui module (listed in FEATURE_MODULES)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keyworker.security.permissions import Permission

# open_fn(ctx, parent, resident_id): opens the area's dialog; on a save the area emits
# ctx.state.data_changed.emit("notes") so the tab reloads its timeline.
OpenFn = Callable[[Any, Any, str], None]


@dataclass(frozen=True)
class NotesAction:
    label: str  # "Record session…"
    shortcut: str  # a QKeySequence string, e.g. "Ctrl+Shift+K"; "" for none
    open_fn: OpenFn
    permission: Permission | None  # shown only to roles with it (None: everyone)


_ACTIONS: dict[str, NotesAction] = {}


def register_notes_action(label: str, shortcut: str, open_fn: OpenFn, permission: Permission | None) -> None:
    _ACTIONS[label] = NotesAction(label, shortcut, open_fn, permission)


def notes_actions() -> list[NotesAction]:
    return list(_ACTIONS.values())

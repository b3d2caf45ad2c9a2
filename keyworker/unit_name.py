"""The unit's name where the sign-in window can read it: before anyone signs in, the database is
sealed, so its name (the unit profile's, settings row "unit_name") is also kept in plain text in the
vault file beside it, which holds no health data. It is written when the unit is created, when the
profile's name changes, and at each sign-in (so a unit made before this, or a restored one, gets
it). A vault without it, or unreadable, gives "" and the window falls back to the file's name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker.errors import KeyworkerError
from keyworker.security.vault import vault_path_for

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.security.vault import Vault

VAULT_KEY = "unit_name"
MAX_SHOWN = 120


def unit_name_before_sign_in(db_path: Path | str) -> str:
    """The name the vault beside `db_path` keeps for its unit, or "" (no password needed)."""
    try:
        data = json.loads(vault_path_for(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    name = data.get(VAULT_KEY) if isinstance(data, dict) else None
    if not isinstance(name, str):
        return ""
    return " ".join(name.split())[:MAX_SHOWN]


def remember_unit_name(vault: Vault, name: str) -> None:
    """Keep `name` in the vault (one locked read-modify-write; nothing written if it is the same).
    Best effort: a vault that cannot be written now gets the name at the next sign-in."""
    name = " ".join((name or "").split())[:200]

    def change(data: dict[str, Any]) -> None:
        if name:
            data[VAULT_KEY] = name
        else:
            data.pop(VAULT_KEY, None)

    try:
        vault.update(change)
    except KeyworkerError:
        pass


def sync_unit_name(book: Casebook) -> None:
    """After sign-in or creation: the vault's copy of the name follows the unit profile's."""
    from keyworker.db.foundation import Setting

    with book._read() as s:
        row = s.get(Setting, "unit_name")
        name = row.value if row is not None else ""
    remember_unit_name(book._vault, name or "")

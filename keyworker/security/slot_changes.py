"""Key-slot changes inside one database transaction, ordered so that a crash between the vault
write and the database commit leaves only leftovers that keyworker.security.vault_repair can
recognise and repair on the next open:

- a new or replacement slot (create, enable, reset, change password) is written to the vault
  first, marked pending, beside the user's previous slot; the commit records its id in the
  `settings` table (`key_slot.<username>`); only then is it made the user's slot. A pending slot
  whose id the database does not hold was never committed: it is dropped, the previous one kept.
- a removal (disable, remove) waits for the commit: a disabled account left with a slot is seen.

The vault's lock is held from the first vault write until the slot change is final, so a pending
slot seen by another process under the lock belongs to a process that died. If the transaction
fails, each change is undone by its inverse under the lock (never by writing back a copy).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from sqlalchemy.orm import Session

from keyworker.errors import StorageError, VaultError
from keyworker.security.vault import Vault

SETTING_PREFIX = "key_slot."
CRASH_ENV = "KEYWORKER_TEST_CRASH_AT"  # tests only: kill the process at a named point


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(70)


class SlotChanges:
    def __init__(self, vault: Vault, hold: ExitStack) -> None:
        self._vault = vault
        self._hold = hold
        self._holding = False
        self._undo: list[Callable[[], Any]] = []
        self._after_commit: list[Callable[[], Any]] = []

    def _lock(self) -> None:
        if not self._holding:
            self._hold.enter_context(self._vault.locked())
            self._holding = True

    def add(self, session: Session, slot: dict[str, Any]) -> None:
        from keyworker.settings import set_setting

        self._lock()
        slot_id = str(slot["id"])
        self._vault.add_pending(slot)
        self._undo.append(lambda: self._vault.drop_slot(slot_id))
        self._after_commit.append(lambda: self._vault.commit_slot(slot_id))
        set_setting(session, SETTING_PREFIX + str(slot["username"]), slot_id)
        crash_point("slot_written")

    def remove_after_commit(self, kind: str, username: str) -> None:
        self._lock()
        self._after_commit.append(lambda: self._vault.remove_slot(kind, username))

    def rolled_back(self) -> None:
        self._run(reversed(self._undo))

    def committed(self) -> None:
        if self._after_commit:
            crash_point("db_committed")
        self._run(self._after_commit)

    @staticmethod
    def _run(steps: Any) -> None:
        for step in steps:
            try:
                step()
            except (StorageError, VaultError):
                pass  # the vault is left with a leftover the next open repairs (vault_repair)

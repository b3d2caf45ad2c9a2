"""The sync key's epochs survive a restore of an older backup: the live vault's are kept, so the
laptop still opens what the others seal."""
from __future__ import annotations

import base64
import os
from pathlib import Path

from keyworker.backup import restore_backup
from keyworker.security.vault import Vault, vault_path_for
from keyworker.sync import keys
from tests.conftest import ADMIN_PW, open_as


def test_restoring_an_older_backup_keeps_the_live_sync_keys(db_path: Path, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    book = open_as(db_path, "admin", clock)
    out = book.backup(tmp_path / "old.kwbackup")
    ring = book._sync_keyring()
    # a later epoch, as a key rotation would add it
    nonce, key2 = os.urandom(12), os.urandom(32)
    wrapped = keys._wrap_key(book._key).encrypt(nonce, key2, keys._wrap_aad(book._vault.unit_id, 2))
    book._vault.add_sync_key({"epoch": 2, "nonce": base64.b64encode(nonce).decode(),
                              "wrapped": base64.b64encode(wrapped).decode()})
    unit_key = book._key
    book.close()
    restore_backup(out, db_path, "admin", ADMIN_PW, clock)
    restored = keys.keyring(Vault.load(vault_path_for(db_path)), unit_key)
    assert restored.keys == {1: ring.keys[1], 2: key2}

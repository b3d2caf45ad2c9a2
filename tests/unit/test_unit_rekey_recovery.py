"""The re-key at open on a real SQLCipher file, without a hub (keyworker/sync/unit_key.py prepare_open):
a vault holding a step to a new unit key re-keys the file at the next sign-in, and the recovery key,
whose slot still wraps the old key, still opens the unit and is then moved to the new key."""
from __future__ import annotations

import os
from pathlib import Path

from keyworker.casebook import Casebook
from keyworker.db.engine import raw_connect
from keyworker.security import unit_keys
from keyworker.security.vault import FAST_KDF, RECOVERY, Vault, vault_path_for
from keyworker.sync.unit_key import status
from tests.conftest import ADMIN_PW


def test_the_recovery_key_still_opens_a_rekeyed_unit_and_moves_to_the_new_key(tmp_path: Path) -> None:
    path = tmp_path / "unit.kwdb"
    clock = None  # the system clock
    book, recovery = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                                     kdf=FAST_KDF, clock=clock)
    old_key = book._key
    book.close()
    new_key = os.urandom(32)
    vault = Vault.load(vault_path_for(path))
    vault.update(lambda d: unit_keys.add_step(d, unit_keys.make_step(vault.unit_id, old_key, 1, new_key)))

    book = Casebook.open(path, "admin", ADMIN_PW, kdf=FAST_KDF)
    try:
        assert book._key == new_key and book._vault.unit_key_gens() == (2, 2)
        assert status(book).recovery_key_old and status(book).still_to_sign_in == ()
    finally:
        book.close()
    try:
        raw_connect(path, old_key).close()
        raise AssertionError("the old key still opens the file")
    except Exception as e:  # noqa: BLE001 - sqlcipher3's "file is not a database"
        assert "not a database" in str(e)

    session = Casebook.open_with_recovery_key(path, recovery, kdf=FAST_KDF)
    session.close()
    vault = Vault.load(vault_path_for(path))
    assert vault.slot_gen(RECOVERY, RECOVERY) == 2
    data = vault.update(lambda d: dict(d))
    assert unit_keys.behind(data) == [] and all("up" not in s for s in unit_keys.steps(data))  # spent, dropped
    book = Casebook.open(path, "admin", ADMIN_PW, kdf=FAST_KDF)
    book.close()
    session = Casebook.open_with_recovery_key(path, recovery, kdf=FAST_KDF)  # the moved slot opens it
    session.close()

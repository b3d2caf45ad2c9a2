"""Issue 7.3: a long-running session never writes a stale vault back over changes another
process made. Every vault change is a locked read-modify-write of the current file; sign-in reads
the current file too. The other process here is real (a subprocess on the same unit)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import AuthenticationFailed
from keyworker.security.vault import ACCOUNT, FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW
from tests.unit.vault_procs import run_elsewhere

NEW_PW = "Violet-Canal-Ledger-63"

ELSEWHERE = f"""
book = Casebook.open(db, "admin", {ADMIN_PW!r}, clock=clock, kdf=FAST_KDF)
book.accounts.disable(acct(book, "worker2").id)
book.accounts.create("newbie", "New Person", Role.KEY_WORKER, {NEW_PW!r})
book.close()
"""


def _slot_users(db_path: Path) -> set[str]:
    return {s["username"] for s in json.loads(vault_path_for(db_path).read_text())["slots"] if s["kind"] == ACCOUNT}


def _changed_elsewhere(db_path: Path, tmp_path: Path) -> None:
    res = run_elsewhere(db_path, tmp_path, ELSEWHERE)
    assert res.returncode == 0, res.stderr
    assert "newbie" in _slot_users(db_path) and "worker2" not in _slot_users(db_path)


def test_a_mistyped_password_on_the_lock_screen_keeps_changes_made_elsewhere(
        admin_book: Casebook, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:
    admin_book.lock()
    _changed_elsewhere(db_path, tmp_path)
    with pytest.raises(AuthenticationFailed):
        admin_book.unlock("admin", "Wrong-Password-000")
    # the disabled account did not get its slot back, the new one did not lose its slot
    assert "worker2" not in _slot_users(db_path) and "newbie" in _slot_users(db_path)
    with pytest.raises(AuthenticationFailed):
        Casebook.open(db_path, "worker2", STAFF_PW, clock=clock, kdf=FAST_KDF)
    Casebook.open(db_path, "newbie", NEW_PW, clock=clock, kdf=FAST_KDF).close()


def test_an_account_change_here_keeps_changes_made_elsewhere(
        admin_book: Casebook, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:
    nights = next(a for a in admin_book.accounts.list() if a.username == "nights")
    _changed_elsewhere(db_path, tmp_path)
    admin_book.accounts.reset_password(nights.id, NEW_PW)
    assert _slot_users(db_path) == {"admin", "manager", "worker", "nights", "newbie"}
    Casebook.open(db_path, "newbie", NEW_PW, clock=clock, kdf=FAST_KDF).close()
    Casebook.open(db_path, "nights", NEW_PW, clock=clock, kdf=FAST_KDF).close()


def test_the_lock_screen_lets_in_an_account_created_elsewhere(
        admin_book: Casebook, db_path: Path, tmp_path: Path) -> None:
    admin_book.lock()
    _changed_elsewhere(db_path, tmp_path)
    actor = admin_book.unlock("newbie", NEW_PW)
    assert actor.username == "newbie" and not admin_book.locked


def test_a_failed_transaction_undoes_only_its_own_slot_change(admin_book: Casebook, db_path: Path,
                                                              clock: FixedClock) -> None:
    before = json.loads(vault_path_for(db_path).read_text())["slots"]
    with pytest.raises(RuntimeError):
        with admin_book._write() as s:
            admin_book._wrap_key_for(ACCOUNT, "nights", NEW_PW, session=s)
            raise RuntimeError("the database change failed")
    assert json.loads(vault_path_for(db_path).read_text())["slots"] == before
    Casebook.open(db_path, "nights", STAFF_PW, clock=clock, kdf=FAST_KDF).close()
    with pytest.raises(AuthenticationFailed):
        Casebook.open(db_path, "nights", NEW_PW, clock=clock, kdf=FAST_KDF)


def test_a_backup_from_a_long_running_session_holds_slots_made_elsewhere(
        admin_book: Casebook, db_path: Path, tmp_path: Path, clock: FixedClock) -> None:
    from keyworker.backup import restore_backup

    _changed_elsewhere(db_path, tmp_path)
    out = admin_book.backup(tmp_path / "unit.kwbackup")
    admin_book.close()
    restore_backup(out, db_path, "admin", ADMIN_PW, clock)
    Casebook.open(db_path, "newbie", NEW_PW, clock=clock, kdf=FAST_KDF).close()
    with pytest.raises(AuthenticationFailed):
        Casebook.open(db_path, "worker2", STAFF_PW, clock=clock, kdf=FAST_KDF)

"""The files beside a unit: the open-unit lock, the replaced-file check and the restore journal,
tested with real second processes and restores killed part-way (KEYWORKER_TEST_DIE_AT)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from keyworker.backup import restore_backup
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import StorageError, UnitLocked
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF, vault_path_for
from keyworker.unit_files import journal_path_for, lock_path_for
from tests.conftest import ADMIN_PW

ROOT = Path(__file__).resolve().parents[2]

HOLD_OPEN = r"""
import sys
from keyworker.casebook import Casebook
from keyworker.security.vault import FAST_KDF
book = Casebook.open(sys.argv[1], "admin", sys.argv[2], kdf=FAST_KDF)
print("open", flush=True)
sys.stdin.readline()
try:
    book.settings.set("unit_name", "Written after the swap")
    print("saved", flush=True)
except Exception as e:
    print(type(e).__name__ + ": " + str(e), flush=True)
book.close()
"""

RESTORE = r"""
import sys
from pathlib import Path
from keyworker.backup import restore_backup
from keyworker.clock import SystemClock
restore_backup(Path(sys.argv[1]), Path(sys.argv[2]), "admin", sys.argv[3], SystemClock())
print("restored", flush=True)
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def _open(db_path: Path, clock: FixedClock | None = None) -> Casebook:
    return Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)


def _actions(book: Casebook) -> list[tuple[str, dict]]:
    with book._read() as s:
        return [(a, json.loads(d)) for a, d in s.execute(text("SELECT action, detail FROM audit_log ORDER BY seq"))]


@pytest.fixture
def backup_then_more(db_path: Path, clock: FixedClock, tmp_path: Path) -> Path:
    """A backup of the unit, after which an account 'later' was added to the live unit."""
    book = _open(db_path, clock)
    out = book.backup(tmp_path / "unit.kwbackup")
    book.accounts.create("later", "Added Later", Role.KEY_WORKER, "Fresh-Meadow-Signal-58")
    book.close()
    return out


def _usernames(db_path: Path) -> set[str]:
    book = _open(db_path)
    try:
        return {a.username for a in book.accounts.list()}
    finally:
        book.close()


def test_restore_is_refused_while_another_process_has_the_unit_open(backup_then_more: Path, db_path: Path,
                                                                    clock: FixedClock) -> None:
    child = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(db_path), ADMIN_PW], env=_env(), cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "open", child.stderr.read() if child.stderr else ""
        before = db_path.read_bytes()
        with pytest.raises(StorageError, match="unit.kwdb is open in another Keyworker window or process"):
            restore_backup(backup_then_more, db_path, "admin", ADMIN_PW, clock)
        assert db_path.read_bytes() == before
        assert not list(db_path.parent.glob("*.before-restore-*"))
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "saved"  # the open unit is still the live one
    finally:
        child.communicate(timeout=60)
    # closed there: now the restore goes ahead
    restore_backup(backup_then_more, db_path, "admin", ADMIN_PW, clock)
    assert "later" not in _usernames(db_path)


def test_an_open_unit_whose_file_was_replaced_stops_writing_and_says_so(db_path: Path, tmp_path: Path,
                                                                          template_db: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(db_path), ADMIN_PW], env=_env(), cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "open"
        # Replaced behind the lock's back (by hand, or by an older Keyworker's restore).
        aside = tmp_path / "old" / "unit.kwdb"
        aside.parent.mkdir()
        os.replace(db_path, aside)
        shutil.copy(vault_path_for(db_path), vault_path_for(aside))
        shutil.copy(template_db, db_path)
        child.stdin.write("\n")
        child.stdin.flush()
        said = child.stdout.readline().strip()
    finally:
        child.communicate(timeout=60)
    assert said.startswith("StorageError: The unit database unit.kwdb was replaced"), said
    assert "Nothing was saved" in said
    for path in (db_path, aside):  # the write landed nowhere
        book = _open(path)
        try:
            assert book.settings.get("unit_name") != "Written after the swap"
        finally:
            book.close()


def test_the_lock_is_shared_while_open_and_released_on_close(db_path: Path, clock: FixedClock,
                                                             backup_then_more: Path) -> None:
    a, b = _open(db_path, clock), _open(db_path, clock)  # two windows on one unit are fine
    assert lock_path_for(db_path).exists()
    a.close()
    with pytest.raises(StorageError, match="open in another"):
        restore_backup(backup_then_more, db_path, "admin", ADMIN_PW, clock)
    b.close()
    restore_backup(backup_then_more, db_path, "admin", ADMIN_PW, clock)


def test_restore_is_audited_in_the_restored_unit(backup_then_more: Path, db_path: Path, clock: FixedClock) -> None:
    restore_backup(backup_then_more, db_path, "admin", ADMIN_PW, clock)
    book = _open(db_path, clock)
    try:
        entries = [(a, d) for a, d in _actions(book) if a == "unit.restore"]
        assert len(entries) == 1
        detail = entries[0][1]
        assert detail["backup"] == "unit.kwbackup"
        assert detail["backup_created_at"].startswith("2026-01-05T09:00")
        with book._read() as s:
            who = s.execute(text("SELECT actor_name FROM audit_log WHERE action = 'unit.restore'")).scalar()
        assert who == "admin"
        assert book.check()["audit_chain"]["ok"]
    finally:
        book.close()


FINISHING_STEPS = ["journal:moving", "aside:unit.kwdb", "aside:vault", "placed:vault", "placed:db"]


@pytest.mark.parametrize("step", ["copying", *FINISHING_STEPS])
def test_a_restore_killed_at_any_step_is_finished_or_rolled_back_at_the_next_open(
        step: str, backup_then_more: Path, db_path: Path, clock: FixedClock) -> None:
    res = subprocess.run([sys.executable, "-c", RESTORE, str(backup_then_more), str(db_path), ADMIN_PW],
                         env=_env(KEYWORKER_TEST_DIE_AT=step), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 86, (res.returncode, res.stderr)  # died at that step, no cleanup
    assert journal_path_for(db_path).exists()
    book = _open(db_path, clock)  # no renaming by hand: the open settles it
    try:
        names = {a.username for a in book.accounts.list()}
        actions = [a for a, _ in _actions(book)]
        assert book.check()["ok"]
    finally:
        book.close()
    if step == "copying":  # the new database was not complete: the old unit is back
        assert "later" in names
        assert actions.count("unit.restore.rolled_back") == 1 and "unit.restore" not in actions
    else:  # the new database was complete and verified: the restore is finished
        assert "later" not in names
        assert actions.count("unit.restore") == 1 and actions.count("unit.restore.finished") == 1
        assert any(p.name.startswith("unit.kwdb.before-restore-") for p in db_path.parent.iterdir())
    assert not journal_path_for(db_path).exists()
    assert not [p.name for p in db_path.parent.iterdir() if p.name.startswith(".kw-restore-")]


def test_a_window_locks_even_when_its_lock_entry_cannot_be_written(db_path: Path, tmp_path: Path,
                                                                    template_db: Path, clock: FixedClock) -> None:
    """Ctrl+L or the idle timer must always cover the record, even if the audit write fails."""
    book = _open(db_path, clock)
    try:
        aside = tmp_path / "aside.kwdb"
        os.replace(db_path, aside)
        shutil.copy(template_db, db_path)
        with pytest.raises(StorageError, match="was replaced"):
            book.lock()
        assert book.locked
        with pytest.raises(UnitLocked):
            book.accounts.list()
    finally:
        book.close()

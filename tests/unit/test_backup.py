"""Encrypted backup and restore on real files: the same data comes back, the backup file is
ciphertext, and restore refuses anything that is not an intact Keyworker backup."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from keyworker.backup import MAGIC, read_backup, restore_backup
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.engine import SQLITE_HEADER
from keyworker.errors import AuthenticationFailed, BackupError, PermissionDenied
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW

NEW_PW = "Blue-Mountain-Cloud-91"


def _dump(book: Casebook) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with book._read() as s:
        tables = s.execute(text("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")).scalars().all()
        return {t: sorted(tuple(map(str, r)) for r in s.execute(text(f'SELECT * FROM "{t}"'))) for t in tables}


def _open(db_path: Path, clock: FixedClock, user: str = "admin", pw: str = ADMIN_PW) -> Casebook:
    return Casebook.open(db_path, user, pw, clock=clock, kdf=FAST_KDF)


@pytest.fixture
def backed_up(db_path: Path, clock: FixedClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A unit with some data, its dump at backup time, and the backup file."""
    book = _open(db_path, clock)
    book.accounts.create("percival", "Percival Thistlewood", Role.KEY_WORKER, NEW_PW)
    book.settings.set("unit_name", "Marigoldhaven Lodge")
    expected = _dump(book)
    out = book.backup(tmp_path / "unit.kwbackup")
    book.close()
    return out, expected


def test_backup_and_restore_round_trip_the_same_data(backed_up, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    out, expected = backed_up
    book = _open(db_path, clock)
    book.accounts.create("later", "Added Later", Role.KEY_WORKER, "Fresh-Meadow-Signal-58")
    book.close()
    restore_backup(out, db_path, "admin", ADMIN_PW, clock)
    book = _open(db_path, clock)
    try:
        got = _dump(book)
        # the restored unit is the backed-up unit, plus the restore's and this sign-in's audit entries
        assert {k: v for k, v in got.items() if k != "audit_log"} == {
            k: v for k, v in expected.items() if k != "audit_log"}
        assert set(expected["audit_log"]) <= set(got["audit_log"])
        assert len(got["audit_log"]) == len(expected["audit_log"]) + 2  # + the restore + this sign-in
        assert "later" not in {a.username for a in book.accounts.list()}
        assert book.check()["ok"]
    finally:
        book.close()
    # the previous files were kept aside, not destroyed
    kept = [p.name for p in db_path.parent.iterdir() if ".before-restore-" in p.name]
    assert any(n.startswith("unit.kwdb.before-restore-") for n in kept)
    assert any(n.startswith("unit.kwdb.vault.before-restore-") for n in kept)
    # and the restored vault still opens every account of the backup
    Casebook.open(db_path, "percival", NEW_PW, clock=clock, kdf=FAST_KDF).close()


def test_restore_into_an_empty_folder(backed_up, tmp_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    out, expected = backed_up
    target = tmp_path / "new-laptop" / "unit.kwdb"
    target.parent.mkdir()
    assert restore_backup(out, target, "admin", ADMIN_PW, clock) is None
    book = _open(target, clock)
    try:
        assert _dump(book)["accounts"] == expected["accounts"]
    finally:
        book.close()


def test_backup_file_is_encrypted(backed_up) -> None:  # type: ignore[no-untyped-def]
    out, _ = backed_up
    raw = out.read_bytes()
    assert raw.startswith(MAGIC)
    header, payload = read_backup(out)
    assert not payload.startswith(SQLITE_HEADER)
    for needle in (b"Thistlewood", b"Percival", b"Marigoldhaven", b"CREATE TABLE", b"audit_log"):
        assert needle not in raw
    # the header carries only wrapped keys
    assert all(set(slot) >= {"wrapped", "nonce", "kdf"} for slot in header.vault["slots"])
    plain = out.with_name("payload.db")
    plain.write_bytes(payload)
    conn = sqlite3.connect(plain)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        conn.close()


def _same_files(db_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (db_path, vault_path_for(db_path)) if p.exists()}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p, good: p.write_text("name,dob\nA,1990-01-01\n"), id="a csv"),
        pytest.param(lambda p, good: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p, good: p.write_bytes(good[: len(good) // 2]), id="truncated"),
        pytest.param(lambda p, good: p.write_bytes(good[:-100] + bytes(100)), id="damaged payload"),
        pytest.param(lambda p, good: p.write_bytes(MAGIC + b"\xff\xff\xff\xff"), id="bad header"),
        pytest.param(lambda p, good: p.write_bytes(MAGIC + (5).to_bytes(4, "big") + b"nope!"), id="bad json"),
        pytest.param(lambda p, good: _plain_sqlite(p), id="plain sqlite"),
    ],
)
def test_restore_refuses_what_is_not_a_keyworker_backup(backed_up, db_path: Path, clock: FixedClock,  # type: ignore[no-untyped-def]
                                                          make) -> None:
    out, _ = backed_up
    bad = out.with_name("bad.kwbackup")
    make(bad, out.read_bytes())
    before = _same_files(db_path)
    with pytest.raises(BackupError):
        restore_backup(bad, db_path, "admin", ADMIN_PW, clock)
    assert _same_files(db_path) == before
    assert not [p for p in db_path.parent.iterdir() if ".kw-restore-" in p.name or "before-restore" in p.name]


def _plain_sqlite(p: Path) -> None:
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE residents (name TEXT)")
    conn.commit()
    conn.close()


def test_restore_with_a_wrong_password_changes_nothing(backed_up, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    out, _ = backed_up
    before = _same_files(db_path)
    with pytest.raises(AuthenticationFailed):
        restore_backup(out, db_path, "admin", "Wrong-Password-000", clock)
    after = _same_files(db_path)
    assert after[db_path.name] == before[db_path.name]
    # Only the live vault's sign-in counter moved (issue 7.10: a wrong password here is counted).
    slots = lambda raw: json.loads(raw)["slots"]  # noqa: E731
    assert slots(after[vault_path_for(db_path).name]) == slots(before[vault_path_for(db_path).name])
    assert json.loads(after[vault_path_for(db_path).name])["throttle"]["admin"]["failures"] == 1


def test_restore_needs_a_role_that_may_back_up(backed_up, db_path: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    out, _ = backed_up
    before = _same_files(db_path)
    with pytest.raises(PermissionDenied):
        restore_backup(out, db_path, "worker", STAFF_PW, clock)
    assert _same_files(db_path) == before


def test_backup_needs_permission_and_a_new_file(admin_book: Casebook, worker_book: Casebook, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        worker_book.backup(tmp_path / "w.kwbackup")
    out = admin_book.backup(tmp_path / "a.kwbackup")
    with pytest.raises(BackupError, match="already exists"):
        admin_book.backup(out)
    with pytest.raises(BackupError, match="does not exist"):
        admin_book.backup(tmp_path / "nowhere" / "b.kwbackup")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kw-backup-") or p.suffix == ".part"]
    assert admin_book.audit.recent(1)[0].action == "backup"


def test_backup_header_names_its_unit(backed_up, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = backed_up
    header, payload = read_backup(out)
    assert header.unit_id == json.loads(vault_path_for(db_path).read_text())["unit_id"]
    assert header.db_size == len(payload)
    assert os.path.getsize(out) > header.db_size


def test_a_backup_never_writes_through_a_link_planted_at_its_part_file(admin_book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Someone who can write to the backup folder plants `x.kwbackup.part -> victim`: the backup
    must not overwrite the victim, and the backup itself is owner-only."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "nightly.kwbackup"
    (tmp_path / "nightly.kwbackup.part").symlink_to(victim)
    admin_book.backup(out)
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and (out.stat().st_mode & 0o777) == 0o600

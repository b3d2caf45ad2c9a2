"""Migrations on open: a unit database written at an older schema is backed up (encrypted) and then
brought to the current head; its data and audit chain survive. A newer schema is refused."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from keyworker.backup import read_backup
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db import migrate
from keyworker.db.engine import SQLITE_HEADER, make_engine, raw_connect
from keyworker.errors import DatabaseError
from keyworker.security import audit as audit_chain
from keyworker.security.vault import ACCOUNT, FAST_KDF, RECOVERY, Vault, new_db_key, vault_path_for
from tests.conftest import ADMIN_PW

OLDEST = "0001_foundation"
DEVICE = "0196a000-0000-7000-8000-0000000000d9"


def _revisions_in_order() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def make_unit_at(path: Path, revision: str, clock: FixedClock) -> bytes:
    """A unit database as an older Keyworker wrote it: schema at `revision`, an administrator
    (inserted with plain SQL, as that version's code would) and an audit chain. Returns the key."""
    key = new_db_key()
    vault = Vault.create(vault_path_for(path))
    engine = make_engine(path, key)
    try:
        migrate.upgrade(engine, revision)
        admin_id = "0196a000-0000-7000-8000-00000000a001"
        at = clock.now().replace(tzinfo=None)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO accounts (id, created_at, updated_at, created_by, device_id, archived, username, "
                "full_name, role, email, disabled, must_change_password) VALUES "
                "(:id, :at, :at, NULL, :dev, 0, 'admin', 'Ada Admin', 'admin', NULL, 0, 0)"),
                {"id": admin_id, "at": at, "dev": DEVICE})
            conn.execute(text("INSERT INTO settings (key, value) VALUES ('unit_id', :u), ('unit_name', 'Old Unit')"),
                         {"u": vault.unit_id})
        with Session(engine) as s, s.begin():
            for action in ("unit.create", "account.create"):
                audit_chain.append(s, at=clock.now(), actor_id=admin_id, actor_name="admin", device_id=DEVICE,
                                   action=action, entity="unit", entity_id=vault.unit_id)
        vault.add_slot(ACCOUNT, "admin", ADMIN_PW, key, FAST_KDF)
        vault.add_slot(RECOVERY, RECOVERY, "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG-HHHHH", key, FAST_KDF)
        vault.save()
    finally:
        engine.dispose()
    return key


def _revision_of(path: Path, key: bytes) -> str:
    conn = raw_connect(path, key)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def test_there_is_more_than_one_revision() -> None:
    revs = _revisions_in_order()
    assert revs[0] == OLDEST
    assert revs[-1] == migrate.head_revision()
    assert len(revs) >= 2


def test_opening_an_older_database_backs_it_up_then_migrates(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "unit.kwdb"
    key = make_unit_at(path, OLDEST, clock)
    assert _revision_of(path, key) == OLDEST
    book = Casebook.open(path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        assert migrate.current_revision(book._engine) == migrate.head_revision()
        assert [a.username for a in book.accounts.list()] == ["admin"]
        assert book.settings.get("unit_name") == "Old Unit"
        report = book.check()
        assert report["ok"], report
        assert report["audit_chain"]["entries"] >= 3  # the old chain, extended by this sign-in
        migrated = book.audit.recent(50, action_prefix="unit.migrate")
        assert len(migrated) == 1
        assert migrated[0].detail["from"] == OLDEST and migrated[0].detail["to"] == migrate.head_revision()
    finally:
        book.close()
    backups = sorted(tmp_path.glob("unit.kwdb.before-*.kwbackup"))
    assert len(backups) == 1
    assert migrate.head_revision() in backups[0].name
    # The backup is encrypted and holds the database as it was before migrating.
    header, payload = read_backup(backups[0])
    assert not payload.startswith(SQLITE_HEADER)
    old_key = Vault.from_data(tmp_path / "x.vault", header.vault).unlock("admin", ADMIN_PW, clock)
    assert old_key == key
    restored = tmp_path / "pre-migration.kwdb"
    restored.write_bytes(payload)
    assert _revision_of(restored, key) == OLDEST
    # Opening again does not migrate (or back up) a second time.
    Casebook.open(path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF).close()
    assert len(list(tmp_path.glob("unit.kwdb.before-*.kwbackup"))) == 1


@pytest.mark.parametrize("revision", _revisions_in_order()[:-1])
def test_every_older_revision_migrates_to_head(tmp_path: Path, clock: FixedClock, revision: str) -> None:
    path = tmp_path / "unit.kwdb"
    make_unit_at(path, revision, clock)
    book = Casebook.open(path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        assert migrate.current_revision(book._engine) == migrate.head_revision()
        assert book.check(integrity=True)["ok"]
    finally:
        book.close()


def test_a_database_from_a_newer_version_is_refused_untouched(db_path: Path, clock: FixedClock) -> None:
    key = Vault.load(vault_path_for(db_path)).unlock("admin", ADMIN_PW, clock)
    conn = raw_connect(db_path, key)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer version of Keyworker"):
        Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*.kwbackup"))


def test_a_new_unit_is_created_at_head(tmp_path: Path) -> None:
    book, _ = Casebook.create(tmp_path / "n.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                              password=ADMIN_PW, kdf=FAST_KDF, clock=FixedClock(datetime(2026, 3, 1, 9, 0)))
    try:
        assert migrate.current_revision(book._engine) == migrate.head_revision()
    finally:
        book.close()
    assert not list(tmp_path.glob("*.kwbackup"))  # nothing to back up when nothing existed

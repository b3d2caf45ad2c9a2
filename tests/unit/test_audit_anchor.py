"""The audit chain is anchored outside its table (the vault, every backup, the trigger text), so the
rewrites an insider with a password and a raw SQLCipher connection can make are reported by
`check`, and the one that is not (a consistent rewrite after the last anchor) is named honestly."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, make_transient

from keyworker.backup import MAGIC, read_backup
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.engine import make_engine, raw_connect
from keyworker.db.foundation import AuditEntry
from keyworker.errors import BackupError
from keyworker.security import audit as chain
from keyworker.security.audit_anchor import ANCHOR_EVERY_WRITES, EXPECTED_TRIGGERS
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW

ROOT = Path(__file__).resolve().parents[2]


def _open(db_path: Path, clock: FixedClock) -> Casebook:
    return Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)


def _key(db_path: Path, clock: FixedClock) -> bytes:
    book = _open(db_path, clock)
    try:
        return book._key
    finally:
        book.close()


def _check(db_path: Path, clock: FixedClock, against: Path | None = None) -> dict:
    book = _open(db_path, clock)
    try:
        return book.check(against=against)
    finally:
        book.close()


def _anchored_seq(db_path: Path) -> int:
    return int(json.loads(vault_path_for(db_path).read_text())["audit_chain"]["seq"])


@contextmanager
def _raw(db_path: Path, key: bytes) -> Iterator:
    conn = raw_connect(db_path, key)
    try:
        yield conn
    finally:
        conn.close()


def _drop_triggers(conn) -> None:  # type: ignore[no-untyped-def]
    for name in EXPECTED_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def _rewrite(db_path: Path, key: bytes, change: Callable[[list[AuditEntry]], list[AuditEntry]]) -> None:
    """A careful insider: drop the guards, rewrite the entries, renumber, re-link and re-hash the
    whole chain so that it verifies, and put the triggers back exactly as they were."""
    engine = make_engine(db_path, key)
    try:
        with Session(engine) as s, s.begin():
            entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
            for e in entries:
                s.expunge(e)
                make_transient(e)
            entries = change(entries)
            s.execute(text("DROP TRIGGER audit_log_no_update"))
            s.execute(text("DROP TRIGGER audit_log_no_delete"))
            s.execute(text("DELETE FROM audit_log"))
            prev = chain.GENESIS
            for seq, e in enumerate(entries, start=1):
                e.seq, e.prev_hash = seq, prev
                e.hash = prev = chain.entry_hash(e)
                s.add(e)
            s.flush()
            for sql in EXPECTED_TRIGGERS.values():
                s.execute(text(sql))
    finally:
        engine.dispose()


def _forged(like: AuditEntry, **changes: object) -> AuditEntry:
    e = AuditEntry(**{c: getattr(like, c) for c in ("seq", "at", "actor_id", "actor_name", "device_id", "action",
                                                   "entity", "entity_id", "resident_id", "detail", "prev_hash")})
    for k, v in changes.items():
        setattr(e, k, v)
    return e


def _head(db_path: Path, key: bytes) -> tuple[int, str]:
    with _raw(db_path, key) as conn:
        return conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()


def test_an_untouched_unit_checks_clean_with_its_anchor(db_path: Path, clock: FixedClock) -> None:
    report = _check(db_path, clock)
    assert report["ok"] is True
    trail = report["audit_chain"]
    assert trail["problems"] == [] and trail["triggers"] == "ok"
    assert trail["anchored_seq"] is not None and trail["anchored_seq"] <= trail["head_seq"]
    # closing anchored the head; the next check of the same file is still clean
    key = _key(db_path, clock)
    assert _anchored_seq(db_path) == _head(db_path, key)[0]
    assert _check(db_path, clock)["ok"] is True


def test_an_old_entry_altered_and_the_rest_rehashed_is_reported(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    mark = _head(db_path, key)[0]  # what closing the unit anchored
    _rewrite(db_path, key, lambda es: [_forged(e, actor_name="mallory") if e.seq == 2 else e for e in es])
    report = _check(db_path, clock)
    assert report["ok"] is False
    trail = report["audit_chain"]
    assert trail["first_broken_seq"] == mark
    assert f"entry {mark} is not the one recorded in the vault" in trail["problem"]
    # a tampered chain never moves the mark, so the next sign-in does not launder it
    assert _check(db_path, clock)["ok"] is False
    assert _anchored_seq(db_path) == mark


def test_a_middle_entry_deleted_and_the_rest_renumbered_is_reported(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    mark = _head(db_path, key)[0]  # what closing the unit anchored
    _rewrite(db_path, key, lambda es: [e for e in es if e.seq != 3])
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False
    # one entry gone, one sign-in added: the chain is as long as before, but not the same chain
    assert trail["first_broken_seq"] == mark
    assert "rewritten at or before" in trail["problem"]


def test_every_entry_deleted_is_reported_as_a_replaced_trail(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    mark = _head(db_path, key)[0]  # what closing the unit anchored
    _rewrite(db_path, key, lambda es: [])
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False and trail["first_broken_seq"] == 1
    assert "the audit trail was replaced" in trail["problem"]
    assert any(f"had reached entry {mark}" in p for p in trail["problems"])


def test_an_emptied_trail_is_reported_even_without_the_vault_anchor(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    _rewrite(db_path, key, lambda es: [])
    vault = json.loads(vault_path_for(db_path).read_text())
    vault.pop("audit_chain", None)  # an insider who also edits the vault
    vault_path_for(db_path).write_text(json.dumps(vault))
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False and trail["first_broken_seq"] == 1
    assert "does not begin with the unit's creation" in trail["problem"]


def test_a_trail_that_begins_with_joining_a_hub_is_sound_and_anchored(db_path: Path, clock: FixedClock) -> None:
    """A laptop that joined a unit hub made its file by joining: its trail begins with `sync.join`
    and its vault has no mark until the first check or sign-in anchors it."""
    key = _key(db_path, clock)
    _rewrite(db_path, key, lambda es: [_forged(es[0], action="sync.join"), *es[1:]])
    vault = json.loads(vault_path_for(db_path).read_text())
    vault.pop("audit_chain", None)
    vault.pop("audit_verified", None)
    vault_path_for(db_path).write_text(json.dumps(vault))
    report = _check(db_path, clock)
    assert report["ok"] is True, report["audit_chain"]["problems"]
    assert _anchored_seq(db_path) == _head(db_path, key)[0]
    # anything else first is still a replaced start
    _rewrite(db_path, key, lambda es: [_forged(es[0], action="account.create"), *es[1:]])
    vault = json.loads(vault_path_for(db_path).read_text())
    vault.pop("audit_chain", None)
    vault_path_for(db_path).write_text(json.dumps(vault))
    assert "does not begin with the unit's creation" in _check(db_path, clock)["audit_chain"]["problem"]


def test_the_last_entries_deleted_are_reported_as_missing_from_the_end(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    mark = _head(db_path, key)[0]  # what closing the unit anchored
    with _raw(db_path, key) as conn:
        _drop_triggers(conn)
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (mark - 3,))
        for sql in EXPECTED_TRIGGERS.values():
            conn.execute(sql)
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False
    # the sign-in of this check took seq mark-2
    assert trail["problem"] == (f"the audit trail ends at entry {mark - 2} but had reached entry {mark}: "
                                f"entries {mark - 1}..{mark} are missing from the end")
    assert trail["first_broken_seq"] == mark - 1


def test_dropped_or_altered_triggers_are_reported(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    with _raw(db_path, key) as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END")
    trail = _check(db_path, clock)["audit_chain"]
    assert trail["ok"] is False
    assert trail["triggers"] == ("the trigger audit_log_no_update that keeps the audit log append-only was altered; "
                                 "the trigger audit_log_no_delete that keeps the audit log append-only is missing")
    assert trail["problem"] == "the trigger audit_log_no_update that keeps the audit log append-only was altered"


def _cli(db_path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=ADMIN_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000d2",
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--db", str(db_path)], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)


def test_cli_check_json_reports_dropped_triggers(db_path: Path, clock: FixedClock, tmp_path: Path) -> None:
    with _raw(db_path, _key(db_path, clock)) as conn:
        _drop_triggers(conn)
    res = _cli(db_path, tmp_path, "check", "--json")
    assert res.returncode == 1, res.stderr
    trail = json.loads(res.stdout)["audit_chain"]
    assert trail["ok"] is False and "audit_log_no_update" in trail["triggers"]
    assert len(trail["problems"]) == 2


def test_backup_header_holds_the_chain_head(admin_book: Casebook, tmp_path: Path) -> None:
    with admin_book._read() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    header, _ = read_backup(admin_book.backup(tmp_path / "b.kwbackup"))
    assert header.audit_head == {"seq": last.seq, "hash": last.hash}


def test_check_against_a_backup_names_entries_removed_since(db_path: Path, clock: FixedClock,
                                                            tmp_path: Path) -> None:
    book = _open(db_path, clock)
    backup = book.backup(tmp_path / "before.kwbackup")
    book.close()
    held = read_backup(backup)[0].audit_head
    assert held is not None
    assert _check(db_path, clock, against=backup)["audit_chain"]["against"] == {
        "backup": "before.kwbackup", "seq": held["seq"], "ok": True, "problem": None}
    with _raw(db_path, _key(db_path, clock)) as conn:
        _drop_triggers(conn)
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (held["seq"] - 3,))
    res = _cli(db_path, tmp_path, "check", "--against", str(backup))
    assert res.returncode == 1
    # the CLI's sign-in took seq held-2
    assert (f"Against backup before.kwbackup: DIFFERS: the audit trail ends at entry {held['seq'] - 2}, but backup "
            f"before.kwbackup holds entries up to {held['seq']}: entries {held['seq'] - 1}..{held['seq']} are missing"
            in res.stdout)
    assert "Traceback" not in res.stderr


def _strip_head(backup: Path) -> Path:
    """The same backup as an older version wrote it: no chain head in the header."""
    raw = backup.read_bytes()
    (hlen,) = struct.unpack(">I", raw[len(MAGIC):len(MAGIC) + 4])
    header = json.loads(raw[len(MAGIC) + 4:len(MAGIC) + 4 + hlen])
    del header["audit_head"]
    hbytes = json.dumps(header, sort_keys=True).encode()
    old = backup.with_name("old.kwbackup")
    old.write_bytes(MAGIC + struct.pack(">I", len(hbytes)) + hbytes + raw[len(MAGIC) + 4 + hlen:])
    return old


def test_an_older_backup_is_read_for_its_head(db_path: Path, clock: FixedClock, tmp_path: Path) -> None:
    book = _open(db_path, clock)
    with book._read() as s:
        seq_at_backup = s.scalar(text("SELECT max(seq) FROM audit_log"))
    old = _strip_head(book.backup(tmp_path / "new.kwbackup"))
    book.close()
    assert read_backup(old)[0].audit_head is None
    trail = _check(db_path, clock, against=old)["audit_chain"]
    assert trail["against"]["ok"] is True and trail["against"]["seq"] == seq_at_backup
    assert not list(Path(tempfile.gettempdir()).glob(".kw-against-*"))  # the decrypted-with-key copy is gone


def test_a_backup_of_another_unit_is_refused(db_path: Path, clock: FixedClock, tmp_path: Path) -> None:
    other, _ = Casebook.create(tmp_path / "other.kwdb", admin_username="admin", admin_full_name="Ada Admin",
                               password=ADMIN_PW, kdf=FAST_KDF, clock=clock)
    backup = other.backup(tmp_path / "other.kwbackup")
    other.close()
    book = _open(db_path, clock)
    try:
        with pytest.raises(BackupError, match="other.kwbackup is a backup of another unit"):
            book.check(against=backup)
    finally:
        book.close()


def test_the_mark_is_raised_every_n_writes_without_a_close(admin_book: Casebook, db_path: Path) -> None:
    before = _anchored_seq(db_path)
    for i in range(ANCHOR_EVERY_WRITES):
        with admin_book._write() as s:
            admin_book._record(s, "test.write", "unit", None, detail={"i": i})
    assert _anchored_seq(db_path) >= before + ANCHOR_EVERY_WRITES


def test_limit_a_forged_entry_appended_after_the_last_anchor_is_not_seen(db_path: Path, clock: FixedClock,
                                                                       tmp_path: Path) -> None:
    """README: an entry appended with a correct hash after the last anchor looks like any other;
    nor can a backup taken before it tell (it only proves what it holds)."""
    book = _open(db_path, clock)
    backup = book.backup(tmp_path / "before.kwbackup")
    book.close()
    _rewrite(db_path, _key(db_path, clock),
             lambda es: [*es, _forged(es[-1], action="resident.view", actor_name="worker", detail="{}")])
    report = _check(db_path, clock, against=backup)
    assert report["ok"] is True
    assert report["audit_chain"]["against"]["ok"] is True


def test_limit_a_full_rewrite_with_the_vault_edited_too_is_seen_only_against_a_backup(
        db_path: Path, clock: FixedClock, tmp_path: Path) -> None:
    """README: whoever also rewrites the vault's anchor hides a rewrite from `check`; a backup kept
    elsewhere still shows it."""
    book = _open(db_path, clock)
    backup = book.backup(tmp_path / "before.kwbackup")
    book.close()
    key = _key(db_path, clock)
    _rewrite(db_path, key, lambda es: [_forged(e, actor_name="mallory") if e.seq == 2 else e for e in es])
    seq, hash_ = _head(db_path, key)
    with _raw(db_path, key) as conn:
        genesis = conn.execute("SELECT hash FROM audit_log WHERE seq = 1").fetchone()[0]
    vault = json.loads(vault_path_for(db_path).read_text())
    vault["audit_chain"] = {"genesis": genesis, "seq": seq, "hash": hash_}
    vault_path_for(db_path).write_text(json.dumps(vault))
    assert _check(db_path, clock)["ok"] is True  # the limit
    held = read_backup(backup)[0].audit_head
    assert held is not None
    against = _check(db_path, clock, against=backup)["audit_chain"]["against"]
    assert against["ok"] is False
    assert against["problem"] == (f"entry {held['seq']} differs from the same entry in backup before.kwbackup: "
                                  f"the trail was rewritten at or before entry {held['seq']}")

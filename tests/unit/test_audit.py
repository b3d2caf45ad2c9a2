"""The audit chain: append-only in the database, hash-chained, written in the same transaction as
the change; `check` names the first broken link after tampering through a raw SQLCipher connection."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.engine import raw_connect
from keyworker.db.foundation import Account, AuditEntry
from keyworker.errors import AuthenticationFailed, KeyworkerError
from keyworker.security import audit as chain
from keyworker.security.permissions import Role
from keyworker.security.vault import FAST_KDF, Vault, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW

ROOT = Path(__file__).resolve().parents[2]
NEW_PW = "Blue-Mountain-Cloud-91"


def _key(db_path: Path, clock: FixedClock) -> bytes:
    return Vault.load(vault_path_for(db_path)).unlock("admin", ADMIN_PW, clock)


def _actions(book: Casebook) -> list[str]:
    with book._read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _tamper(db_path: Path, key: bytes, sql: str, *params: object) -> None:
    """What someone holding the key could do with a raw connection: drop the guard, change a row."""
    conn = raw_connect(db_path, key)
    try:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(sql, params)
    finally:
        conn.close()


def test_sign_in_failed_sign_in_lock_unlock_are_audited(db_path: Path, clock: FixedClock) -> None:
    with pytest.raises(AuthenticationFailed):
        Casebook.open(db_path, "worker", "Wrong-Password-000", clock=clock, kdf=FAST_KDF)
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        book.lock()
        with pytest.raises(AuthenticationFailed):
            book.unlock("admin", "Wrong-Password-000")
        book.unlock("admin", ADMIN_PW)
        assert _actions(book)[-5:] == ["sign_in.failed", "sign_in", "lock", "sign_in.failed", "unlock"]
        rows = book.audit.recent(10)
        failed = [r for r in rows if r.action == "sign_in.failed"]
        assert {r.detail["username"] for r in failed} == {"worker", "admin"}
        assert book.audit.verify().ok
    finally:
        book.close()


def test_every_account_change_is_audited(admin_book: Casebook) -> None:
    acct = admin_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, NEW_PW)
    admin_book.accounts.set_role(acct.id, Role.SENIOR)
    admin_book.accounts.reset_password(acct.id, "Fresh-Meadow-Signal-58")
    admin_book.accounts.disable(acct.id)
    admin_book.accounts.enable(acct.id, NEW_PW)
    admin_book.accounts.remove(acct.id)
    admin_book.accounts.change_own_password(ADMIN_PW, "Amber-Lantern-Orbit-24")
    rows = list(reversed(admin_book.audit.recent(7)))
    assert [r.action for r in rows] == ["account.create", "account.role", "account.reset_password",
                                        "account.disable", "account.enable", "account.remove",
                                        "account.change_password"]
    assert all(r.entity_id == acct.id for r in rows[:6])
    assert rows[1].detail == {"from": "key_worker", "to": "senior"}
    assert all(r.actor_name == "admin" for r in rows)
    assert admin_book.audit.verify().ok


def test_audit_entry_and_change_share_one_transaction(admin_book: Casebook, tmp_path: Path) -> None:
    """If the change cannot be completed (here: the vault cannot be written), neither the account
    nor its audit entry is kept, and the vault in memory is as before."""
    with admin_book._read() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    slots_before = admin_book._vault.usernames()
    real = admin_book._vault.path
    admin_book._vault.path = tmp_path / "no-such-folder" / "unit.kwdb.vault"
    try:
        with pytest.raises(KeyworkerError):
            admin_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, NEW_PW)
    finally:
        admin_book._vault.path = real
    with admin_book._read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert s.scalar(select(Account).where(Account.username == "newbie")) is None
    assert admin_book._vault.usernames() == slots_before


def test_a_failed_change_writes_no_audit_entry(admin_book: Casebook) -> None:
    with admin_book._read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(KeyworkerError):
        admin_book.accounts.create("admin", "Duplicate Admin", Role.ADMIN, NEW_PW)  # name taken
    with admin_book._read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_audit_log_is_append_only_in_the_database(admin_book: Casebook) -> None:
    for sql in ("UPDATE audit_log SET action = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises((DBAPIError, KeyworkerError), match="append-only"):
            with admin_book._write() as s:
                s.execute(text(sql))
    assert admin_book.audit.verify().ok


def test_chain_links_each_entry_to_the_previous(admin_book: Casebook) -> None:
    with admin_book._read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert rows[0].prev_hash == chain.GENESIS
        for prev, cur in zip(rows, rows[1:], strict=False):
            assert cur.prev_hash == prev.hash
            assert cur.seq == prev.seq + 1
            assert chain.entry_hash(cur) == cur.hash


@pytest.mark.parametrize(
    ("sql", "params", "problem"),
    [
        ("UPDATE audit_log SET detail = ? WHERE seq = ?", ('{"username": "someone-else"}', 3), "altered"),
        ("UPDATE audit_log SET actor_name = ? WHERE seq = ?", ("mallory", 3), "altered"),
        ("DELETE FROM audit_log WHERE seq = ?", (3,), "missing"),
        ("UPDATE audit_log SET prev_hash = ? WHERE seq = ?", ("f" * 64, 3), "does not link"),
    ],
)
def test_check_names_the_first_broken_link(db_path: Path, clock: FixedClock, sql: str, params: tuple,
                                           problem: str) -> None:
    _tamper(db_path, _key(db_path, clock), sql, *params)
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        report = book.check()
    finally:
        book.close()
    assert report["ok"] is False
    assert report["integrity"] == "ok"  # the file is sound: it is the chain that is broken
    assert report["audit_chain"]["ok"] is False
    assert report["audit_chain"]["first_broken_seq"] == 3
    assert problem in report["audit_chain"]["problem"]


def test_a_forger_who_rehashes_the_row_breaks_the_next_link(db_path: Path, clock: FixedClock) -> None:
    key = _key(db_path, clock)
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    with book._read() as s:
        entry = s.get(AuditEntry, 2)
        assert entry is not None
        s.expunge(entry)
    book.close()
    entry.actor_name = "mallory"
    forged = chain.entry_hash(entry)
    _tamper(db_path, key, "UPDATE audit_log SET actor_name = 'mallory', hash = ? WHERE seq = 2", forged)
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        report = book.audit.verify()
    finally:
        book.close()
    assert not report.ok and report.first_broken_seq == 3 and "does not link" in (report.problem or "")


def _cli(db_path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWORKER_")}
    env.update(KEYWORKER_PASSWORD=ADMIN_PW, KEYWORKER_DEVICE_ID="0196a000-0000-7000-8000-0000000000d2",
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--db", str(db_path)], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60)


def test_cli_check_reports_a_row_altered_through_raw_sqlcipher(db_path: Path, clock: FixedClock,
                                                                tmp_path: Path) -> None:
    ok = _cli(db_path, tmp_path, "check", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["audit_chain"]["ok"] is True
    _tamper(db_path, _key(db_path, clock), "UPDATE audit_log SET detail = '{}' WHERE seq = 4")
    # Entry 4 is before the link the first check remembered: only --full walks it again (the plain
    # check still fails here, on the dropped triggers; tests/unit/test_audit_incremental.py).
    res = _cli(db_path, tmp_path, "check", "--json", "--full")
    assert res.returncode == 1
    report = json.loads(res.stdout)
    assert report["ok"] is False
    assert report["audit_chain"]["audit_walk"] == "full"
    assert report["audit_chain"]["first_broken_seq"] == 4
    human = _cli(db_path, tmp_path, "check", "--full")
    assert human.returncode == 1
    assert "entry 4 was altered" in human.stdout
    assert "Traceback" not in human.stderr


def test_worker_password_still_opens_after_tampering(db_path: Path, clock: FixedClock) -> None:
    """Tampering is reported, not a reason to lock staff out of the unit at night."""
    _tamper(db_path, _key(db_path, clock), "UPDATE audit_log SET detail = '{}' WHERE seq = 2")
    Casebook.open(db_path, "worker", STAFF_PW, clock=clock, kdf=FAST_KDF).close()

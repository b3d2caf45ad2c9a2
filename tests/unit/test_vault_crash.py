"""Issue 7.4: a crash between the vault write and the database commit (create, reset, disable)
leaves only leftovers the next open repairs, each with a `vault.repair` audit entry. A real
process is killed (os._exit) at each point: after the vault write, and after the commit."""
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
SIGN_IN = f'book = Casebook.open(db, "admin", {ADMIN_PW!r}, clock=clock, kdf=FAST_KDF)\n'
CREATE = SIGN_IN + f'book.accounts.create("newbie", "New Person", Role.KEY_WORKER, {NEW_PW!r})\n'
RESET = SIGN_IN + f'book.accounts.reset_password(acct(book, "nights").id, {NEW_PW!r})\n'
DISABLE = SIGN_IN + 'book.accounts.disable(acct(book, "worker2").id)\n'


def _crash(db_path: Path, tmp_path: Path, code: str, at: str) -> None:
    res = run_elsewhere(db_path, tmp_path, code, crash_at=at)
    assert res.returncode == 70, f"the process was not stopped at {at}: {res.stderr[-2000:]}"


def _signs_in(db_path: Path, user: str, pw: str, clock: FixedClock) -> bool:
    try:
        Casebook.open(db_path, user, pw, clock=clock, kdf=FAST_KDF).close()
        return True
    except AuthenticationFailed:
        return False


def _after_admin_opens(db_path: Path, clock: FixedClock) -> tuple[list[dict], list[str], list[dict]]:  # type: ignore[type-arg]
    """(repairs audited, actions audited, slots) after the next sign-in repaired the vault."""
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        rows = book.audit.recent(500)
    finally:
        book.close()
    slots = [s for s in json.loads(vault_path_for(db_path).read_text())["slots"] if s["kind"] == ACCOUNT]
    return [r.detail for r in rows if r.action == "vault.repair"], [r.action for r in rows], slots


def _slots_of(slots: list[dict], user: str) -> list[dict]:  # type: ignore[type-arg]
    return [s for s in slots if s["username"] == user]


def test_create_killed_before_its_commit_leaves_no_slot(db_path: Path, tmp_path: Path, clock: FixedClock) -> None:
    _crash(db_path, tmp_path, CREATE, "slot_written")
    repairs, actions, slots = _after_admin_opens(db_path, clock)
    assert repairs == [{"username": "newbie", "repair": "key slot of an unsaved change dropped"}]
    assert "account.create" not in actions[:3] and _slots_of(slots, "newbie") == []
    assert not _signs_in(db_path, "newbie", NEW_PW, clock)


def test_create_killed_after_its_commit_keeps_the_account_usable(db_path: Path, tmp_path: Path,
                                                                 clock: FixedClock) -> None:
    _crash(db_path, tmp_path, CREATE, "db_committed")
    repairs, _, slots = _after_admin_opens(db_path, clock)
    assert repairs == [{"username": "newbie", "repair": "new key slot of a saved change put in use"}]
    assert [s.get("pending") for s in _slots_of(slots, "newbie")] == [None]
    assert _signs_in(db_path, "newbie", NEW_PW, clock)


def test_reset_killed_before_its_commit_keeps_the_old_password(db_path: Path, tmp_path: Path,
                                                               clock: FixedClock) -> None:
    _crash(db_path, tmp_path, RESET, "slot_written")
    repairs, actions, slots = _after_admin_opens(db_path, clock)
    assert repairs == [{"username": "nights", "repair": "key slot of an unsaved change dropped"}]
    assert "account.reset_password" not in actions and len(_slots_of(slots, "nights")) == 1
    assert _signs_in(db_path, "nights", STAFF_PW, clock) and not _signs_in(db_path, "nights", NEW_PW, clock)


def test_reset_killed_after_its_commit_has_its_audit_entry_and_new_password(db_path: Path, tmp_path: Path,
                                                                            clock: FixedClock) -> None:
    _crash(db_path, tmp_path, RESET, "db_committed")
    # before any repair the old password still opens the unit (and its sign-in repairs the vault)
    assert _signs_in(db_path, "nights", STAFF_PW, clock)
    repairs, actions, slots = _after_admin_opens(db_path, clock)
    assert repairs == [{"username": "nights", "repair": "new key slot of a saved change put in use"}]
    assert "account.reset_password" in actions and len(_slots_of(slots, "nights")) == 1
    assert _signs_in(db_path, "nights", NEW_PW, clock) and not _signs_in(db_path, "nights", STAFF_PW, clock)


def test_disable_killed_after_its_commit_loses_its_slot_on_the_next_open(db_path: Path, tmp_path: Path,
                                                                         clock: FixedClock) -> None:
    _crash(db_path, tmp_path, DISABLE, "db_committed")
    repairs, actions, slots = _after_admin_opens(db_path, clock)
    assert repairs == [{"username": "worker2", "repair": "key slot removed (account disabled or removed)"}]
    assert "account.disable" in actions and _slots_of(slots, "worker2") == []


def test_an_orphan_slot_is_removed_and_an_account_without_one_is_reported(db_path: Path, clock: FixedClock) -> None:
    path = vault_path_for(db_path)
    data = json.loads(path.read_text())
    nights = next(s for s in data["slots"] if s["username"] == "nights")
    data["slots"].remove(nights)
    data["slots"].append({**nights, "username": "ghost"})  # a slot whose account never existed
    path.write_text(json.dumps(data))
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        repairs = [r.detail for r in book.audit.recent(50) if r.action == "vault.repair"]
        assert repairs == [{"username": "ghost", "repair": "key slot removed (no such account)"}]
        assert book.check()["accounts"]["without_key_slot"] == ["nights"]
    finally:
        book.close()


@pytest.mark.parametrize("at", ["slot_written", "db_committed"])
def test_every_crash_point_leaves_a_unit_that_checks_ok(db_path: Path, tmp_path: Path, clock: FixedClock,
                                                        at: str) -> None:
    _crash(db_path, tmp_path, CREATE, at)
    _after_admin_opens(db_path, clock)
    _, _, before = _after_admin_opens(db_path, clock)
    book = Casebook.open(db_path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    try:
        report = book.check()
        assert report["ok"] and report["accounts"]["without_key_slot"] == []
        assert [r for r in book.audit.recent(50) if r.action == "vault.repair"].__len__() == 1  # once only
    finally:
        book.close()
    assert before == [s for s in json.loads(vault_path_for(db_path).read_text())["slots"] if s["kind"] == ACCOUNT]

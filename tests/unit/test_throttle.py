"""Issue 7.10 and 7.13: throttling cannot be bypassed. Parallel processes count every attempt;
floods of made-up names neither evict real users' counters nor push their failures out of the
audit queue; restore and the recovery key are throttled and audited; the recovery key can only
reset an administrator's password; a malformed counter never switches throttling off."""
from __future__ import annotations

import json
import multiprocessing
from datetime import datetime
from pathlib import Path

import pytest

from keyworker.backup import restore_backup
from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import AuthenticationFailed, PermissionDenied, SignInThrottled, VaultError
from keyworker.security.permissions import Permission
from keyworker.security.throttle import MAX_PENDING_UNKNOWN
from keyworker.security.vault import FAST_KDF, FREE_FAILURES, Vault, throttle_delay, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW

NEW_PW = "Violet-Canal-Ledger-63"
WRONG = "Wrong-Password-000"


def _open(db_path: Path, user: str, pw: str, clock: FixedClock) -> Casebook:
    return Casebook.open(db_path, user, pw, clock=clock, kdf=FAST_KDF)


def _failed_audit(db_path: Path, clock: FixedClock) -> list[dict]:  # type: ignore[type-arg]
    admin = _open(db_path, "admin", ADMIN_PW, clock)
    try:
        return [r.detail for r in admin.audit.recent(5000, action_prefix="sign_in.failed")]
    finally:
        admin.close()


def _guess(db: str, barrier: multiprocessing.synchronize.Barrier, tries: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    clock = FixedClock(datetime(2026, 1, 5, 9, 0))
    barrier.wait()
    results = []
    for _ in range(tries):
        try:
            Casebook.open(db, "worker", WRONG, clock=clock, kdf=FAST_KDF)
        except AuthenticationFailed:
            results.append("checked")
        except SignInThrottled:
            results.append("throttled")
    out.put(results)


def test_parallel_processes_count_every_password_check(db_path: Path, clock: FixedClock) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs, tries = 4, 6
    barrier, out = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_guess, args=(str(db_path), barrier, tries, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    results = [r for _ in workers for r in out.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
    checked = results.count("checked")
    assert len(results) == procs * tries
    # every password check is counted, and the parallel guessers together got no more than the
    # free attempts of one user before all of them were made to wait
    assert Vault.load(vault_path_for(db_path)).failures("worker") == checked == FREE_FAILURES
    assert len(_failed_audit(db_path, clock)) == checked


def test_made_up_names_do_not_evict_a_real_users_counter(db_path: Path, clock: FixedClock) -> None:
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthenticationFailed):
            _open(db_path, "worker", WRONG, clock)
    vault = Vault.load(vault_path_for(db_path))
    for i in range(260):  # the counting path of a sign-in under a made-up name (its check fails)
        with pytest.raises(AuthenticationFailed):
            vault.attempt(f"ghost{i:03}", clock, lambda: None)
    with pytest.raises(SignInThrottled):
        _open(db_path, "worker", STAFF_PW, clock)
    data = json.loads(vault_path_for(db_path).read_text())
    assert len(data["throttle"]) <= 201  # still bounded


def test_a_flood_of_made_up_names_keeps_real_failures_for_the_audit(db_path: Path, clock: FixedClock) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            _open(db_path, "worker", WRONG, clock)
    vault = Vault.load(vault_path_for(db_path))
    for i in range(600):
        with pytest.raises(AuthenticationFailed):
            vault.attempt(f"ghost{i:03}", clock, lambda: None)
    assert vault_path_for(db_path).stat().st_size < 100_000
    admin = _open(db_path, "admin", ADMIN_PW, clock)
    try:
        rows = admin.audit.recent(5000, action_prefix="sign_in.failed")
    finally:
        admin.close()
    names = [r.detail.get("username") for r in rows if r.action == "sign_in.failed"]
    assert names.count("worker") == 3
    assert len(names) == 3 + MAX_PENDING_UNKNOWN
    summary = [r.detail for r in rows if r.action == "sign_in.failed_unknown_names"]
    assert len(summary) == 1 and summary[0]["count"] == 600 - MAX_PENDING_UNKNOWN
    assert "pending_unknown_more" not in json.loads(vault_path_for(db_path).read_text())


@pytest.fixture
def backup_file(admin_book: Casebook, tmp_path: Path) -> Path:
    out = admin_book.backup(tmp_path / "unit.kwbackup")
    admin_book.close()
    return out


def test_restore_with_a_wrong_password_is_throttled_and_audited(backup_file: Path, db_path: Path,
                                                                clock: FixedClock) -> None:
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthenticationFailed):
            restore_backup(backup_file, db_path, "admin", WRONG, clock)
    # the live unit's throttle holds: not even the right password restores now, nor signs in
    with pytest.raises(SignInThrottled):
        restore_backup(backup_file, db_path, "admin", ADMIN_PW, clock)
    with pytest.raises(SignInThrottled):
        _open(db_path, "admin", ADMIN_PW, clock)
    clock.advance(seconds=throttle_delay(FREE_FAILURES) + 1)
    assert [d["username"] for d in _failed_audit(db_path, clock)] == ["admin"] * FREE_FAILURES


def test_restore_keeps_the_live_units_unaudited_failures(backup_file: Path, db_path: Path,
                                                         clock: FixedClock) -> None:
    with pytest.raises(AuthenticationFailed):
        restore_backup(backup_file, db_path, "admin", WRONG, clock)
    restore_backup(backup_file, db_path, "admin", ADMIN_PW, clock)
    assert [d["username"] for d in _failed_audit(db_path, clock)] == ["admin"]


@pytest.fixture
def unit_with_recovery(tmp_path: Path, clock: FixedClock) -> tuple[Path, str]:
    path = tmp_path / "r" / "unit.kwdb"
    book, recovery = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                                     kdf=FAST_KDF, clock=clock)
    book.accounts.create("worker", "Sam Worker", "key_worker", STAFF_PW)
    book.close()
    return path, recovery


def test_the_recovery_key_is_throttled_and_its_failures_audited(unit_with_recovery: tuple[Path, str],
                                                                 clock: FixedClock) -> None:
    path, recovery = unit_with_recovery
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthenticationFailed):
            Casebook.open_with_recovery_key(path, "AAAAA-" * 7 + "AAAAA", clock=clock, kdf=FAST_KDF)
    with pytest.raises(SignInThrottled):
        Casebook.open_with_recovery_key(path, recovery, clock=clock, kdf=FAST_KDF)
    _open(path, "admin", ADMIN_PW, clock).close()  # the admin's own sign-in is not held up
    clock.advance(seconds=throttle_delay(FREE_FAILURES) + 1)
    Casebook.open_with_recovery_key(path, recovery, clock=clock, kdf=FAST_KDF).close()
    assert [d["username"] for d in _failed_audit(path, clock)] == ["(recovery key)"] * FREE_FAILURES


def test_the_recovery_key_can_only_reset_an_administrators_password(unit_with_recovery: tuple[Path, str],
                                                                    clock: FixedClock) -> None:
    path, recovery = unit_with_recovery
    session = Casebook.open_with_recovery_key(path, recovery, clock=clock, kdf=FAST_KDF)
    try:
        assert not hasattr(session, "accounts") and not hasattr(session, "residents")
        admins = session.administrators()
        assert [a.username for a in admins] == ["admin"]
        book = session._book  # even the session's own facade refuses everything else, reads too
        assert not any(book.actor.can(p) for p in Permission)
        for call in (lambda: book.accounts.list(), lambda: book.audit.recent(), lambda: book.backup(path.parent / "b"),
                     lambda: book.residents.find_by_reference("R-00001")):
            with pytest.raises(PermissionDenied):
                call()
        worker_id = next(a.id for a in _accounts(path, clock) if a.username == "worker")
        with pytest.raises(PermissionDenied):
            session.reset_password(worker_id, NEW_PW)
        session.reset_password(admins[0].id, NEW_PW)
    finally:
        session.close()
    _open(path, "admin", NEW_PW, clock).close()
    _open(path, "worker", STAFF_PW, clock).close()


def _accounts(path: Path, clock: FixedClock) -> list:  # type: ignore[type-arg]
    admin = _open(path, "admin", ADMIN_PW, clock)
    try:
        return admin.accounts.list()
    finally:
        admin.close()


@pytest.mark.parametrize("entry", [{"failures": "x", "last": "2026-01-05T09:00:00+00:00"},
                                   {"failures": 7}, {"failures": None, "last": "not a time"}, "garbage"])
def test_a_malformed_counter_is_treated_as_throttled_not_as_a_crash(db_path: Path, clock: FixedClock,
                                                                   entry: object) -> None:
    path = vault_path_for(db_path)
    data = json.loads(path.read_text())
    data["throttle"]["worker"] = entry
    path.write_text(json.dumps(data))
    with pytest.raises(SignInThrottled):
        _open(db_path, "worker", STAFF_PW, clock)
    clock.advance(seconds=throttle_delay(FREE_FAILURES) + 1)
    _open(db_path, "worker", STAFF_PW, clock).close()


def test_malformed_counters_as_a_whole_are_a_clear_vault_error(db_path: Path, clock: FixedClock) -> None:
    path = vault_path_for(db_path)
    data = json.loads(path.read_text())
    data["throttle"] = ["worker", 5]
    path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="sign-in counters"):
        _open(db_path, "worker", STAFF_PW, clock)

"""The key vault: one Argon2id + AES-GCM slot per account and one for the recovery key; throttling
that survives a restart; slots that change only when their own account changes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import AuthenticationFailed, SignInThrottled, ValidationError, VaultError
from keyworker.security.vault import (
    ACCOUNT,
    DEFAULT_KDF,
    FAST_KDF,
    FREE_FAILURES,
    RECOVERY,
    Vault,
    normalise_recovery_key,
    throttle_delay,
    vault_path_for,
)
from tests.conftest import ADMIN_PW, STAFF_PW

NEW_PW = "Violet-Canal-Ledger-63"


def _slots(db_path: Path) -> dict[tuple[str, str], str]:
    """Each slot as its exact serialised form, keyed by (kind, username)."""
    data = json.loads(vault_path_for(db_path).read_text())
    return {(s["kind"], s["username"]): json.dumps(s, sort_keys=True) for s in data["slots"]}


def _open(db_path: Path, user: str, pw: str, clock: FixedClock) -> Casebook:
    return Casebook.open(db_path, user, pw, clock=clock, kdf=FAST_KDF)


def test_every_account_and_the_recovery_key_have_a_slot(db_path: Path) -> None:
    slots = _slots(db_path)
    assert set(slots) == {(ACCOUNT, u) for u in ("admin", "manager", "worker", "worker2", "nights")} | {
        (RECOVERY, RECOVERY)}
    for raw in slots.values():
        slot = json.loads(raw)
        assert slot["kdf"]["alg"] == "argon2id"
        assert len(set(s for s in (slot["nonce"], slot["kdf"]["salt"]))) == 2
    salts = [json.loads(r)["kdf"]["salt"] for r in slots.values()]
    assert len(set(salts)) == len(salts), "every slot has its own salt"


def test_changing_a_password_rewraps_only_that_slot(db_path: Path, clock: FixedClock) -> None:
    before = _slots(db_path)
    book = _open(db_path, "worker", STAFF_PW, clock)
    try:
        book.accounts.change_own_password(STAFF_PW, NEW_PW)
    finally:
        book.close()
    after = _slots(db_path)
    assert set(after) == set(before)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {(ACCOUNT, "worker")}
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker", STAFF_PW, clock)
    _open(db_path, "worker", NEW_PW, clock).close()
    _open(db_path, "worker2", STAFF_PW, clock).close()


def test_change_password_needs_the_old_one(worker_book: Casebook, db_path: Path) -> None:
    before = _slots(db_path)
    with pytest.raises(AuthenticationFailed):
        worker_book.accounts.change_own_password("Not-My-Password-11", NEW_PW)
    with pytest.raises(ValidationError):
        worker_book.accounts.change_own_password(STAFF_PW, "short")
    assert _slots(db_path) == before


def test_admin_reset_rewraps_only_that_slot(admin_book: Casebook, db_path: Path, clock: FixedClock) -> None:
    target = next(a for a in admin_book.accounts.list() if a.username == "nights")
    before = _slots(db_path)
    info = admin_book.accounts.reset_password(target.id, NEW_PW)
    assert info.must_change_password
    after = _slots(db_path)
    assert {k for k in before if before[k] != after[k]} == {(ACCOUNT, "nights")}
    _open(db_path, "nights", NEW_PW, clock).close()


@pytest.mark.parametrize("how", ["disable", "remove"])
def test_disabling_or_removing_an_account_removes_its_slot(admin_book: Casebook, db_path: Path,
                                                           clock: FixedClock, how: str) -> None:
    target = next(a for a in admin_book.accounts.list() if a.username == "worker2")
    before = _slots(db_path)
    getattr(admin_book.accounts, how)(target.id)
    after = _slots(db_path)
    assert (ACCOUNT, "worker2") not in after
    assert after == {k: v for k, v in before.items() if k != (ACCOUNT, "worker2")}
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker2", STAFF_PW, clock)
    # the row itself is archived or disabled, never deleted (the audit trail names it)
    from sqlalchemy import text

    with admin_book._read() as s:
        row = s.execute(text("SELECT disabled, archived FROM accounts WHERE username='worker2'")).one()
    assert row.disabled == 1 and row.archived == (1 if how == "remove" else 0)


def test_re_enabling_needs_a_new_password(admin_book: Casebook, db_path: Path, clock: FixedClock) -> None:
    target = next(a for a in admin_book.accounts.list() if a.username == "worker2")
    admin_book.accounts.disable(target.id)
    admin_book.accounts.enable(target.id, NEW_PW)
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker2", STAFF_PW, clock)
    _open(db_path, "worker2", NEW_PW, clock).close()


def test_throttling_after_five_failures_survives_a_restart(db_path: Path, clock: FixedClock) -> None:
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthenticationFailed):
            _open(db_path, "worker", "Wrong-Password-000", clock)
    # A new process: the counter is read back from the vault file, not from memory.
    assert Vault.load(vault_path_for(db_path)).failures("worker") == FREE_FAILURES
    with pytest.raises(SignInThrottled) as e:
        _open(db_path, "worker", STAFF_PW, clock)  # even the right password waits
    assert 0 < e.value.seconds <= throttle_delay(FREE_FAILURES)
    # other users are not held up by someone guessing at "worker"
    _open(db_path, "worker2", STAFF_PW, clock).close()
    clock.advance(seconds=throttle_delay(FREE_FAILURES) + 1)
    _open(db_path, "worker", STAFF_PW, clock).close()
    assert Vault.load(vault_path_for(db_path)).failures("worker") == 0
    admin = _open(db_path, "admin", ADMIN_PW, clock)
    try:
        failed_rows = admin.audit.recent(50, action_prefix="sign_in.failed")
    finally:
        admin.close()
    assert [r.detail["username"] for r in failed_rows] == ["worker"] * FREE_FAILURES


def test_throttle_delay_grows_and_is_capped() -> None:
    assert [throttle_delay(n) for n in range(FREE_FAILURES)] == [0] * FREE_FAILURES
    assert throttle_delay(FREE_FAILURES) == 30
    assert throttle_delay(FREE_FAILURES + 1) == 60
    assert throttle_delay(50) == 300


def test_a_slot_cannot_be_moved_to_another_user(db_path: Path, clock: FixedClock) -> None:
    path = vault_path_for(db_path)
    data = json.loads(path.read_text())
    worker = next(s for s in data["slots"] if s["username"] == "worker")
    for s in data["slots"]:
        if s["username"] == "worker2":
            s.update({k: v for k, v in worker.items() if k not in ("username",)})
    path.write_text(json.dumps(data))
    # worker's password with worker2's name: the associated data binds the slot to its user
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker2", STAFF_PW, clock)


def test_a_tampered_slot_fails_closed(db_path: Path, clock: FixedClock) -> None:
    path = vault_path_for(db_path)
    data = json.loads(path.read_text())
    slot = next(s for s in data["slots"] if s["username"] == "worker")
    slot["wrapped"] = slot["wrapped"][:-6] + ("AAAAAA" if not slot["wrapped"].endswith("AAAAAA") else "BBBBBB")
    slot2 = next(s for s in data["slots"] if s["username"] == "nights")
    slot2["kdf"]["salt"] = "not base64!!"
    path.write_text(json.dumps(data))
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker", STAFF_PW, clock)
    with pytest.raises(VaultError, match="damaged"):
        _open(db_path, "nights", STAFF_PW, clock)


def test_vault_from_another_unit_is_refused(tmp_path: Path, db_path: Path, clock: FixedClock) -> None:
    other = tmp_path / "other" / "unit.kwdb"
    book, _ = Casebook.create(other, admin_username="admin", admin_full_name="Other Admin", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=clock)
    book.close()
    vault_path_for(db_path).write_bytes(vault_path_for(other).read_bytes())
    # The other unit's key does not open this database: a clear error, not a crash.
    from keyworker.errors import DatabaseError

    with pytest.raises(DatabaseError, match="damaged or is not a Keyworker database"):
        _open(db_path, "admin", ADMIN_PW, clock)


def test_save_is_atomic_and_leaves_no_temporary_files(admin_book: Casebook, db_path: Path) -> None:
    target = next(a for a in admin_book.accounts.list() if a.username == "worker2")
    admin_book.accounts.reset_password(target.id, NEW_PW)
    leftovers = [p.name for p in db_path.parent.iterdir() if p.name.startswith(".vault-")]
    assert leftovers == []


def test_recovery_key_format_and_normalising() -> None:
    from keyworker.security.vault import new_recovery_key

    key = new_recovery_key()
    groups = key.split("-")
    assert len(groups) == 8 and all(len(g) == 5 for g in groups)
    assert normalise_recovery_key(key.lower().replace("-", " ")) == key
    assert new_recovery_key() != key


def test_default_kdf_is_a_real_cost() -> None:
    # OWASP's floor for Argon2id is 19 MiB / t=2; ours is far above it (tuned to ~0.4 s here).
    assert DEFAULT_KDF.memory_kib >= 65536 and DEFAULT_KDF.time_cost >= 2
    assert FAST_KDF != DEFAULT_KDF


def test_the_lock_screen_is_throttled_too(admin_book: Casebook, clock: FixedClock) -> None:
    admin_book.lock()
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthenticationFailed):
            admin_book.unlock("admin", "Wrong-Password-000")
    with pytest.raises(SignInThrottled):
        admin_book.unlock("admin", ADMIN_PW)
    assert admin_book.locked
    clock.advance(seconds=throttle_delay(FREE_FAILURES) + 1)
    admin_book.unlock("admin", ADMIN_PW)
    assert not admin_book.locked


def test_an_old_slot_put_back_does_not_let_a_removed_account_in(admin_book: Casebook, db_path: Path,
                                                                 clock: FixedClock) -> None:
    """Defence in depth: the database, not only the vault, decides who may sign in."""
    old_vault = vault_path_for(db_path).read_bytes()
    target = next(a for a in admin_book.accounts.list() if a.username == "worker2")
    admin_book.accounts.remove(target.id)
    admin_book.close()
    vault_path_for(db_path).write_bytes(old_vault)
    with pytest.raises(AuthenticationFailed):
        _open(db_path, "worker2", STAFF_PW, clock)

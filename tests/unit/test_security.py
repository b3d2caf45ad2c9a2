"""What an attacker holding the laptop's files sees (ciphertext only), and what a signed-in user of
the wrong role can do through the services (nothing), on real SQLCipher files."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import func, select, text

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.engine import SQLITE_HEADER, raw_connect
from keyworker.db.foundation import AuditEntry
from keyworker.errors import AuthenticationFailed, PermissionDenied
from keyworker.security.permissions import GRANTS, Permission, Role
from keyworker.security.vault import FAST_KDF, vault_path_for
from tests.conftest import ADMIN_PW, STAFF_PW

# Distinctive strings written into the database: none may appear on disk.
SECRET_NAMES = ["Zebedee Quixotic", "Percival Thistlewood", "Marigoldhaven Lodge", "zebedeeq", "thistlewood@example.org"]


def _needles() -> list[bytes]:
    out: list[bytes] = []
    for name in SECRET_NAMES:
        for word in name.split():
            out += [word.encode("utf-8"), word.encode("utf-16-le"), word.lower().encode("utf-8")]
    # table names too: the schema itself is encrypted
    out += [b"CREATE TABLE", b"audit_log", b"accounts", b"account.create"]
    return out


@pytest.fixture
def written_unit(tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    """A unit with the secret names written into it, kept open so its -wal is on disk."""
    path = tmp_path / "secret.kwdb"
    book, _ = Casebook.create(path, admin_username="zebedeeq", admin_full_name="Zebedee Quixotic", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=clock, unit_name="Marigoldhaven Lodge")
    book.accounts.create("percival", "Percival Thistlewood", Role.KEY_WORKER, STAFF_PW,
                         email="thistlewood@example.org")
    book.settings.set("unit_name", "Marigoldhaven Lodge")
    yield path, book
    book.close()


def test_database_and_wal_are_ciphertext(written_unit) -> None:  # type: ignore[no-untyped-def]
    path, _book = written_unit
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the test needs committed pages still in the WAL"
    for f in (path, wal):
        data = f.read_bytes()
        assert not data.startswith(SQLITE_HEADER), f.name
        for needle in _needles():
            assert needle not in data, f"{needle!r} readable in {f.name}"


def test_database_closed_and_checkpointed_is_still_ciphertext(written_unit) -> None:  # type: ignore[no-untyped-def]
    path, book = written_unit
    book.close()
    data = path.read_bytes()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert not data.startswith(SQLITE_HEADER)
    for needle in _needles():
        assert needle not in data


def test_vault_holds_no_plain_key_and_no_names_but_user_names(written_unit) -> None:  # type: ignore[no-untyped-def]
    path, book = written_unit
    vault_text = vault_path_for(path).read_bytes()
    key = book._key
    assert key.hex().encode() not in vault_text.lower()
    assert key not in vault_text
    for needle in (b"Zebedee Quixotic", b"Thistlewood"):  # no person's name
        assert needle not in vault_text
    # The unit's own name is there on purpose, and only it: the sign-in window shows it to anyone
    # who starts the app, before a password is typed (keyworker/unit_name.py).
    assert vault_text.count(b"Marigoldhaven") == 1


def test_plain_sqlite_cannot_read_the_files(written_unit) -> None:  # type: ignore[no-untyped-def]
    path, book = written_unit
    # A copy of the files as they are on disk while the app is running (db + wal).
    copy = path.with_name("stolen.kwdb")
    copy.write_bytes(path.read_bytes())
    Path(f"{copy}-wal").write_bytes(Path(f"{path}-wal").read_bytes())
    for target in (path, copy):
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            with pytest.raises(sqlite3.DatabaseError, match="not a database"):
                conn.execute("SELECT name FROM sqlite_master").fetchall()
        finally:
            conn.close()


def test_sqlcipher_with_a_wrong_key_cannot_read(written_unit) -> None:  # type: ignore[no-untyped-def]
    path, book = written_unit
    with pytest.raises(sqlcipher3.DatabaseError):
        raw_connect(path, bytes(32))
    # and the right key does
    conn = raw_connect(path, book._key)
    try:
        assert conn.execute("PRAGMA cipher_version").fetchone()[0]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY: no plaintext temp files
    finally:
        conn.close()


def test_wrong_password_and_unknown_user_fail_alike(db_path: Path, clock: FixedClock) -> None:
    before = db_path.read_bytes()
    with pytest.raises(AuthenticationFailed) as wrong:
        Casebook.open(db_path, "worker", "Not-The-Password-1", clock=clock, kdf=FAST_KDF)
    with pytest.raises(AuthenticationFailed) as unknown:
        Casebook.open(db_path, "nobody-here", "Not-The-Password-1", clock=clock, kdf=FAST_KDF)
    assert str(wrong.value) == str(unknown.value)
    assert db_path.read_bytes() == before  # a failed sign-in cannot touch the database (it has no key)
    book = Casebook.open(db_path, "worker", STAFF_PW, clock=clock, kdf=FAST_KDF)
    book.close()


def test_username_is_case_and_space_insensitive(db_path: Path, clock: FixedClock) -> None:
    Casebook.open(db_path, "  Worker ", STAFF_PW, clock=clock, kdf=FAST_KDF).close()


ADMIN_ONLY_CALLS = {
    "create an account": lambda b: b.accounts.create("newbie", "New Person", Role.KEY_WORKER, "Blue-Mountain-Cloud-91"),
    "disable an account": lambda b: b.accounts.disable(b.actor.id),
    "remove an account": lambda b: b.accounts.remove(b.actor.id),
    "reset a password": lambda b: b.accounts.reset_password(b.actor.id, "Blue-Mountain-Cloud-91"),
    "change a role": lambda b: b.accounts.set_role(b.actor.id, Role.ADMIN),
    "change a unit setting": lambda b: b.settings.set("idle_lock_minutes", 5),
    "back up": lambda b: b.backup(Path(b.path).with_name("x.kwbackup")),
}


@pytest.mark.parametrize("what", sorted(ADMIN_ONLY_CALLS))
@pytest.mark.parametrize("user", ["worker", "nights"])
def test_non_admin_calling_admin_service_is_denied_and_writes_nothing(book_factory, user: str, what: str) -> None:  # type: ignore[no-untyped-def]
    book = book_factory(user)
    with book._read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(PermissionDenied) as e:
        ADMIN_ONLY_CALLS[what](book)
    assert book.actor.role.value.split("_")[0] in str(e.value)
    with book._read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert not Path(book.path).with_name("x.kwbackup").exists()


def test_whole_audit_trail_needs_view_audit(worker_book: Casebook, manager_book: Casebook) -> None:
    with pytest.raises(PermissionDenied):
        worker_book.audit.recent()
    assert manager_book.audit.recent(5)


def test_role_grants_are_least_privilege() -> None:
    assert Permission.MANAGE_ACCOUNTS in GRANTS[Role.ADMIN]
    for role in (Role.KEY_WORKER, Role.SENIOR, Role.OUT_OF_HOURS):
        assert Permission.MANAGE_ACCOUNTS not in GRANTS[role]
        assert Permission.BACKUP not in GRANTS[role]
    assert Permission.DECIDE_REFERRALS not in GRANTS[Role.KEY_WORKER]


def test_administrator_runs_the_system_but_reads_no_clinical_record(admin_book: Casebook, manager_book: Casebook,
                                                                      tmp_path: Path) -> None:
    """Caldicott need-to-know (docs/PERMISSIONS.md): accounts, backup, audit, import, not records."""
    from tests.fixtures.caseload import admit

    rec = admit(manager_book)
    for read in (lambda: admin_book.residents.get(rec.id), lambda: admin_book.caseload.ids(admin_book.caseload.filter()),
                 lambda: admin_book.referrals.list_open(), lambda: admin_book.reviews.due("unit"),
                 lambda: admin_book.care_plans.incomplete("unit"), lambda: admin_book.audit.recent(resident_id=rec.id)):
        with pytest.raises(PermissionDenied):
            read()
    with admin_book._read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "resident.view")) == 0
    assert admin_book.accounts.list() and admin_book.audit.recent(5)
    assert admin_book.backup(tmp_path / "unit.kwbackup").exists()
    assert admin_book.actor.can(Permission.IMPORT)


def test_out_of_hours_reads_records_but_holds_no_review_and_edits_nothing() -> None:
    nights = GRANTS[Role.OUT_OF_HOURS]
    assert Permission.VIEW_RESIDENTS in nights
    assert not nights & {Permission.RECORD_REVIEWS, Permission.EDIT_RESIDENTS, Permission.EDIT_CARE_PLANS,
                         Permission.ASSIGN_KEY_WORKERS, Permission.DECIDE_REFERRALS}


def test_recovery_key_opens_the_unit_and_resets_a_password(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "unit.kwdb"
    book, recovery = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                                     kdf=FAST_KDF, clock=clock)
    admin_id = book.actor.id
    book.close()
    assert recovery not in vault_path_for(path).read_text()
    with pytest.raises(AuthenticationFailed):
        Casebook.open_with_recovery_key(path, "AAAAA-" * 7 + "AAAAA", clock=clock, kdf=FAST_KDF)
    # typed loosely: lower case, without dashes
    rb = Casebook.open_with_recovery_key(path, recovery.replace("-", " ").lower(), clock=clock, kdf=FAST_KDF)
    try:
        rb.reset_password(admin_id, "Fresh-Meadow-Signal-58")
        with rb._book._read() as s:
            actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(2)).all()
        assert actions == ["account.reset_password", "sign_in"]
    finally:
        rb.close()
    with pytest.raises(AuthenticationFailed):
        Casebook.open(path, "admin", ADMIN_PW, clock=clock, kdf=FAST_KDF)
    Casebook.open(path, "admin", "Fresh-Meadow-Signal-58", clock=clock, kdf=FAST_KDF).close()


def test_locked_unit_refuses_reads_and_writes(admin_book: Casebook) -> None:
    from keyworker.errors import UnitLocked

    admin_book.lock()
    with pytest.raises(UnitLocked):
        admin_book.accounts.list()
    with pytest.raises(UnitLocked):
        with admin_book._write():
            pass
    admin_book.unlock("admin", ADMIN_PW)
    assert admin_book.accounts.list()


def test_rows_are_sync_ready(admin_book: Casebook, clock: FixedClock) -> None:
    import uuid

    info = admin_book.accounts.create("newbie", "New Person", Role.KEY_WORKER, "Blue-Mountain-Cloud-91")
    assert uuid.UUID(info.id).version == 7
    with admin_book._read() as s:
        row = s.execute(text("SELECT created_at, updated_at, created_by, device_id, archived FROM accounts "
                             "WHERE id = :i"), {"i": info.id}).one()
    assert row.created_by == admin_book.actor.id
    assert row.device_id == admin_book.device_id
    assert row.archived == 0
    # stored as naive UTC: 09:00 London in January is 09:00 UTC
    assert str(row.created_at).startswith("2026-01-05 09:00:00")
    clock.set(datetime(2026, 7, 1, 12, 0))  # BST: 11:00 UTC
    admin_book.accounts.set_role(info.id, Role.SENIOR)
    got = admin_book.accounts.get(info.id)
    assert got.role == Role.SENIOR
    with admin_book._read() as s:
        updated = s.execute(text("SELECT updated_at FROM accounts WHERE id = :i"), {"i": info.id}).scalar()
    assert str(updated).startswith("2026-07-01 11:00:00")


# Health data a key worker writes: the resident, their medication, the care plan, a decline letter.
HEALTH_TEXT = ["Octavia Brambleworth", "Quetiapinexyl", "Sobrietyquest", "Lymewhistle"]


def test_resident_health_data_never_reaches_the_disk_in_plain_text(tmp_path: Path, clock: FixedClock) -> None:
    from datetime import date

    from keyworker.care_plans import Goal, PlanContent
    from keyworker.medication import MedicationInput
    from tests.fixtures.caseload import admit, referral_input

    path = tmp_path / "health.kwdb"
    book, _ = Casebook.create(path, admin_username="admin", admin_full_name="Ada Admin", password=ADMIN_PW,
                              kdf=FAST_KDF, clock=clock)
    book.accounts.create("manager", "Morgan Manager", Role.SENIOR, STAFF_PW)
    book.accounts.create("worker", "Sam Worker", Role.KEY_WORKER, STAFF_PW)
    book.close()
    manager = Casebook.open(path, "manager", STAFF_PW, clock=clock, kdf=FAST_KDF)
    resident = admit(manager, given_name="Octavia", family_name="Brambleworth")
    manager.residents.start_medication(resident.id, MedicationInput("Quetiapinexyl", date(2026, 1, 5), "25 mg",
                                                                           "at night", route="oral"))
    plan = PlanContent(goals=[Goal(goal="Sobrietyquest every day")])
    manager.care_plans.save_draft(resident.current_admission.id, plan)
    declined = manager.referrals.record(referral_input(given_name="Lymewhistle", family_name="Brambleworth"))
    manager.referrals.decline(declined.id, "not_abstinent",
                              "Lymewhistle needs a medically managed detoxification before admission.")
    try:
        files = [path, Path(f"{path}-wal")]
        assert files[1].exists() and files[1].stat().st_size > 0
        for f in files:
            data = f.read_bytes()
            for text in HEALTH_TEXT:
                for needle in (text.encode(), text.encode("utf-16-le"), text.split()[-1].encode()):
                    assert needle not in data, f"{text!r} readable in {f.name}"
            assert f.stat().st_mode & 0o077 == 0, f"{f.name} is readable by other users"
    finally:
        manager.close()


def test_backup_file_is_owner_only(admin_book: Casebook, tmp_path: Path) -> None:
    out = admin_book.backup(tmp_path / "unit.kwbackup")
    assert out.stat().st_mode & 0o077 == 0

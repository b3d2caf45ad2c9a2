"""A new laptop's first sync from a snapshot (keyworker/sync/snapshot.py) through a real hub: the
unit arrives as sealed rows and only the ops after the snapshot are pulled; a damaged, missing or
other-version snapshot is refused with nothing kept on the new laptop."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text

from keyworker.clock import FixedClock
from keyworker.db.caseload import Resident
from keyworker.db.sync import SyncOp
from keyworker.security.vault import FAST_KDF, vault_path_for
from keyworker.sync import enrol, snapshot
from keyworker.sync.enrol import EnrolmentError
from keyworker.sync.run import sync_once
from tests.e2e_sync.helpers import bootstrap, open_laptop, settle
from tests.fixtures.caseload import last_audit
from tests.hub.servers import scalar
from tests.sync.helpers import digest


def _residents(book) -> list[str]:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return list(s.scalars(select(Resident.id).where(Resident.archived.is_(False)).order_by(Resident.id)))


def _join(unit, made, path: Path):  # type: ignore[no-untyped-def]
    return enrol.join(unit.url, made.text, path, unit.pin, device_name="Laptop B", device_id=unit.devices["B"],
                      clock=unit.clock, kdf=FAST_KDF)


def test_a_new_laptop_loads_the_snapshot_then_only_the_ops_after_it(hub, certs, db_path: Path, tmp_path: Path,
                                                                    clock: FixedClock) -> None:
    from tests.sync.test_apply import _resident_with_plan

    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    a = open_laptop(unit, "A", "manager")
    first, second = (_resident_with_plan(a, g, f)[0] for g, f in (("Lee", "Park"), ("Kim", "Lowe")))
    a.residents.update(first, {"postcode": "PR1 1AA"})  # before the code: in the snapshot
    made = enrol.make_code(admin)
    admin.close()
    covered = scalar(hub.db.owner_url, "SELECT unit_seq FROM snapshots WHERE unit_id = %s AND completed_at IS NOT NULL",
                     unit.unit_id)
    a.residents.update(second, {"postcode": "PR2 2BB"})  # after it: an op the new laptop pulls
    sync_once(a)
    head = scalar(hub.db.owner_url, "SELECT last_seq FROM unit_counters WHERE unit_id = %s", unit.unit_id)
    assert head > covered
    seen: list[tuple[int, int]] = []
    unit.paths["B"] = enrol.join(unit.url, made.text, tmp_path / "b" / "unit.kwdb", unit.pin, device_name="Laptop B",
                                 device_id=unit.devices["B"], clock=clock, kdf=FAST_KDF,
                                 progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]  # the progress bar reached its end
    # one bar for the whole first round: it never goes back (the rows, then the changes since)
    assert all(x[0] <= y[0] for x, y in zip(seen, seen[1:])), seen
    b = open_laptop(unit, "B", "manager")
    try:
        assert digest(b) == digest(a)  # every synchronised table and the conflicts, as on A
        assert b.residents.get(second).postcode == "PR2 2BB"
        with b._read() as s:
            # the unit came as rows: B's op-log holds only what the rules look up, no payloads but the key slots'
            assert s.scalar(select(func.count()).select_from(SyncOp).where(
                SyncOp.unit_seq <= covered, SyncOp.entity_type != "vault_slots", SyncOp.payload != b"")) == 0
            assert s.scalar(text("SELECT value FROM sync_state WHERE key = 'last_seen'")) == str(head)
            assert s.scalar(text("SELECT count(*) FROM note_search_rows")) == a_count(a, "note_search_rows")
        loaded = [d for act, d in last_audit(b, 5) if act == "sync.snapshot_loaded"]
        assert loaded and loaded[0]["unit_seq"] == covered
        assert seen[-1][1] > loaded[0]["rows"]  # the bar went on past the rows, to the changes since
        # a row that came in the snapshot changes on B and reaches A as an op
        b.residents.update(first, {"postcode": "LA1 4YW"})
        settle({"A": a, "B": b})
        assert a.residents.get(first).postcode == "LA1 4YW" and digest(a) == digest(b)
    finally:
        b.close()
        a.close()


def a_count(book, table: str) -> int:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return int(s.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def _gone(path: Path) -> bool:
    return not path.exists() and not vault_path_for(path).exists()


def test_a_damaged_snapshot_is_refused_and_the_join_undone(hub, certs, db_path: Path, tmp_path: Path,
                                                           clock: FixedClock) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    with psycopg.connect(hub.db.owner_url, autocommit=True) as conn:  # one bit flipped in the hub's copy
        conn.execute("UPDATE snapshot_chunks SET data = set_byte(data, 40, get_byte(data, 40) # 1) WHERE n = 0 AND "
                     "snapshot_id IN (SELECT snapshot_id FROM snapshots WHERE unit_id = %s)", (unit.unit_id,))
    path = tmp_path / "b" / "unit.kwdb"
    with pytest.raises(EnrolmentError, match="could not be copied.*does not open.*Nothing was kept"):
        _join(unit, made, path)
    assert _gone(path)
    # the half-joined laptop took itself off the hub
    assert scalar(hub.db.owner_url, "SELECT revoked_at IS NOT NULL FROM devices WHERE device_id = %s",
                  unit.devices["B"])
    # a new code uploads a fresh copy, and a new laptop joins with it
    unit.devices["B"] = unit.devices["C"]
    unit.paths["B"] = _join(unit, enrol.make_code(a), path)
    b = open_laptop(unit, "B")
    assert digest(b) == digest(a)
    b.close()
    a.close()


def test_a_missing_part_or_another_version_is_refused(hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    with psycopg.connect(hub.db.owner_url, autocommit=True) as conn:
        conn.execute("DELETE FROM snapshot_chunks WHERE n = 0 AND snapshot_id IN "
                     "(SELECT snapshot_id FROM snapshots WHERE unit_id = %s)", (unit.unit_id,))
    path = tmp_path / "b" / "unit.kwdb"
    with pytest.raises(EnrolmentError, match="no longer on the hub"):
        _join(unit, made, path)
    assert _gone(path)
    # a copy made by another version of Keyworker (another schema) is refused before anything is written
    real = snapshot._schema
    monkeypatch.setattr(snapshot, "_schema", lambda conn: "9999_future")
    made = enrol.make_code(a)
    monkeypatch.setattr(snapshot, "_schema", real)
    unit.devices["B"] = unit.devices["C"]
    with pytest.raises(EnrolmentError, match="another version of Keyworker"):
        _join(unit, made, path)
    assert _gone(path)
    a.close()


def test_publishing_waits_for_a_quiet_moment(hub, certs, db_path: Path, clock: FixedClock,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A change not yet met in hub order would make the copy differ from what the ops say: the
    snapshot is not made until a round has synced it."""
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    import keyworker.sync.run as run

    def round_that_misses_a_change(book, **kw):  # type: ignore[no-untyped-def]
        from keyworker.db.foundation import Account

        with book._write() as s:  # someone edits on this laptop while the round runs
            acct = s.get(Account, book.actor.id)
            acct.job_title = f"{acct.job_title or 'Administrator'}."
        return None

    monkeypatch.setattr(run, "sync_once", round_that_misses_a_change)
    with pytest.raises(snapshot.SnapshotError, match="Changes kept arriving"):
        enrol.make_code(a)
    a.close()


def test_a_join_killed_while_loading_is_finished_by_the_first_sign_in(hub, certs, db_path: Path, tmp_path: Path,
                                                                      clock: FixedClock) -> None:
    """The process dies inside the load (nothing of it is committed): the accounts come with the
    snapshot, so nobody could sign in to run `sync now`; the first sign-in finishes the join."""
    from keyworker.errors import AuthenticationFailed
    from tests.e2e_sync.helpers import cli

    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    path = tmp_path / "b" / "unit.kwdb"
    r = cli(unit, "B", "sync", "join", "--hub", unit.url, "--code", made.text, "--cert-sha256", unit.pin,
            "--db", str(path), "--name", "Laptop B", env={"KEYWORKER_TEST_CRASH_AT": "snapshot_loading"})
    assert r.returncode == 70, r.stderr  # killed at the crash point
    assert path.exists() and vault_path_for(path).exists()
    unit.paths["B"] = path
    with pytest.raises(AuthenticationFailed):  # a wrong password still gets nowhere
        from keyworker.casebook import Casebook
        Casebook.open(path, "admin", "not the password at all", clock=clock, kdf=FAST_KDF, device_id=unit.devices["B"])
    b = open_laptop(unit, "B", "manager")
    try:
        assert digest(b) == digest(a)
        assert ("sync.snapshot_loaded" in [act for act, _ in last_audit(b, 8)])
    finally:
        b.close()
        a.close()


def test_a_snapshot_replaced_while_it_downloads_is_given_up_for_the_newer(hub, certs, db_path: Path, tmp_path: Path,
                                                                          clock: FixedClock) -> None:
    """Another enrolment code made while a laptop is joining replaces the snapshot on the hub: the
    joining laptop starts again with the newer one instead of failing."""
    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    made = enrol.make_code(a)
    first = scalar(hub.db.owner_url, "SELECT snapshot_id FROM snapshots WHERE unit_id = %s", unit.unit_id)
    replaced: list[bool] = []

    def progress(done: int, total: int) -> None:
        if not replaced:
            replaced.append(True)
            enrol.make_code(a)  # a second code: a new snapshot, the first deleted with its chunks

    unit.paths["B"] = enrol.join(unit.url, made.text, tmp_path / "b" / "unit.kwdb", unit.pin, device_name="Laptop B",
                                 device_id=unit.devices["B"], clock=clock, kdf=FAST_KDF, progress=progress)
    assert replaced and scalar(hub.db.owner_url, "SELECT snapshot_id FROM snapshots WHERE unit_id = %s",
                               unit.unit_id) != first
    b = open_laptop(unit, "B")
    try:
        assert digest(b) == digest(a)
    finally:
        b.close()
        a.close()


def test_large_documents_travel_in_chunks_of_bounded_size(hub, certs, db_path: Path, tmp_path: Path, clock: FixedClock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows with bytes are measured one by one: many letters (PDFs) never make one chunk larger
    than the hub takes, and every byte arrives."""
    import hashlib
    import os as _os

    from keyworker.db.documents import Document

    unit, a, _ = bootstrap(hub, certs, db_path, clock)
    monkeypatch.setattr(snapshot, "CHUNK_JSON_BYTES", 64 * 1024)
    blobs = [_os.urandom(40_000 + i) for i in range(12)]  # incompressible, like a PDF
    with a._write() as s:
        for i, blob in enumerate(blobs):
            s.add(Document(kind="discharge_letter", title=f"Letter {i}", content=blob,
                           sha256=hashlib.sha256(blob).hexdigest()))
    made = enrol.make_code(a)
    biggest = scalar(hub.db.owner_url, "SELECT max(octet_length(c.data)) FROM snapshot_chunks c JOIN snapshots s "
                                       "USING (snapshot_id) WHERE s.unit_id = %s", unit.unit_id)
    assert biggest < 200 * 1024  # about one letter and a half in base64, not all twelve
    unit.paths["B"] = _join(unit, made, tmp_path / "b" / "unit.kwdb")
    b = open_laptop(unit, "B")
    try:
        with b._read() as s:
            got = {d.title: d.content for d in s.scalars(select(Document))}
        assert [got[f"Letter {i}"] for i in range(12)] == blobs
    finally:
        b.close()
        a.close()


def test_a_snapshot_taken_after_an_alias_keeps_aliasing_later_ops(hub, certs, db_path: Path, tmp_path: Path,
                                                                  clock: FixedClock) -> None:
    """Two laptops start the care plan of one stay offline; the hub has the later plan's first ops
    when the snapshot is made (A made the alias), and one more op on it only after: the new laptop
    gets the alias with the snapshot and applies that op to the earlier plan, as A does."""
    from keyworker.db.care_plans import CarePlan
    from keyworker.db.caseload import Admission
    from keyworker.clock import local_today
    from keyworker.db.sync import ALIASES_T
    from keyworker.risk import example_input
    from keyworker.sync.apply import quarantined
    from keyworker.sync.run import client_for, push_all
    from tests.e2e_sync.helpers import join
    from tests.fixtures.caseload import admit
    from tests.unit.care_helpers import full_content

    unit, admin, _ = bootstrap(hub, certs, db_path, clock)
    a = open_laptop(unit, "A", "manager")
    rec = admit(a, given_name="Eve", family_name="Moss", ethnicity="White: Irish")
    with a._read() as s:
        stay = str(s.scalar(select(Admission.id).where(Admission.resident_id == rec.id)))
    a.risk.record(stay, example_input(local_today(clock), "low"))  # a plan completes only with one
    sync_once(a)
    join(unit, admin, "B", tmp_path)
    b = open_laptop(unit, "B", "manager")
    try:
        a.care_plans.save_draft(stay, full_content())
        sync_once(a)
        b.care_plans.save_draft(stay, full_content())
        plan_b = b.care_plans.get(admission_id=stay).plan_id
        with client_for(b) as client:  # B's plan reaches the hub; B has not met A's yet
            push_all(b, client)
        b.care_plans.mark_complete(plan_b)  # one more op on B's plan, pushed after the snapshot
        sync_once(a)  # A meets B's plan: the alias
        with a._read() as s:
            assert [r.alias_id for r in s.connection().execute(select(ALIASES_T)).all()] == [plan_b]
        join(unit, admin, "C", tmp_path)  # the code uploads a snapshot with the alias in it
        admin.close()
        c = open_laptop(unit, "C", "manager")
        try:
            with c._read() as s:
                assert [r.alias_id for r in s.connection().execute(select(ALIASES_T)).all()] == [plan_b]
            settle({"B": b, "A": a, "C": c})
            for name, book in (("A", a), ("B", b), ("C", c)):
                with book._read() as s:
                    (plan,) = s.scalars(select(CarePlan).where(CarePlan.admission_id == stay)).all()
                    assert plan.id != plan_b and plan.status == "complete", name  # B's completion reached it
                    assert quarantined(s) == [], name
                # the fork of the two first versions; B completed its plan without having seen A's,
                # so the completion's fields conflict with A's draft too (B's stands), everywhere alike
                kinds = sorted((i.kind, i.field or "") for i in book.sync.conflicts())
                assert kinds == [("field", "completed_at"), ("field", "completed_by"), ("field", "status"),
                                 ("fork", "")], name
            assert digest(c) == digest(a) == digest(b)
        finally:
            c.close()
    finally:
        b.close()
        a.close()

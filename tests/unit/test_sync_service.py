"""book.sync (keyworker/sync/service.py) on real SQLCipher laptops exchanging ops in process
(tests/sync/helpers.py): real conflicts made by the real services, resolved through the sync
service, and the choice seen on the other laptops with nothing lost."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock, local_today
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission, Resident
from keyworker.errors import NotFound, PermissionDenied
from keyworker.risk import example_input
from keyworker.sync.apply import conflicts as raw_conflicts
from keyworker.sync.apply import set_state
from keyworker.sync.oplog import first_join
from keyworker.sync.service import SyncService
from tests.fixtures.caseload import admit, last_audit
from tests.sync.helpers import Exchange, copy_unit, digest, open_laptop, sync
from tests.unit.care_helpers import full_content


def _admission(book: Casebook, rid: str) -> str:
    with book._read() as s:
        return s.scalar(select(Admission.id).where(Admission.resident_id == rid))  # type: ignore[return-value]


@pytest.fixture
def unit(db_path: Path, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[dict[str, Casebook], Exchange, Any]]:
    """Laptops A, B, C of one unit with one resident (key worker: "worker") on a complete plan,
    all synced. A is signed in as the key worker, B as the senior, C as the other key worker."""
    ex = Exchange()
    a = open_laptop(db_path, "A", clock, "manager")
    rec = admit(a, given_name="Lee", family_name="Park", ethnicity="White: Irish")
    aid = _admission(a, rec.id)
    a.care_plans.save_draft(aid, full_content())
    a.risk.record(aid, example_input(local_today(clock), "low"))
    plan = a.care_plans.mark_complete(a.care_plans.get(admission_id=aid).plan_id)
    with a._write() as s:
        first_join(s)
    sync(a, ex)
    a.close()
    paths = {"A": db_path, "B": copy_unit(db_path, tmp_path / "b" / "unit.kwdb"),
             "C": copy_unit(db_path, tmp_path / "c" / "unit.kwdb")}
    users = {"A": "worker", "B": "manager", "C": "worker2"}
    books = {n: open_laptop(p, n, clock, users[n]) for n, p in paths.items()}
    yield books, ex, (rec.id, aid, plan.plan_id)
    for b in books.values():
        b.close()


def settle(books: dict[str, Casebook], ex: Exchange) -> None:
    for _ in range(2):
        for b in books.values():
            sync(b, ex)


def as_senior(books: dict[str, Casebook], name: str) -> Casebook:
    """Sign the senior in on laptop `name` (two seniors admit the same person on two laptops)."""
    book = books[name]
    book.close()
    books[name] = open_laptop(book.path, name, book.clock, "manager")  # type: ignore[arg-type]
    return books[name]


def _postcode(book: Casebook, rid: str) -> str | None:
    with book._read() as s:
        return s.scalar(select(Resident.postcode).where(Resident.id == rid))


def _postcode_conflict(books: dict[str, Casebook], ex: Exchange, rid: str) -> None:
    books["A"].residents.update(rid, {"postcode": "PR2 9ZZ"})
    books["B"].residents.update(rid, {"postcode": "BB1 1AA"})
    sync(books["A"], ex)
    sync(books["B"], ex)
    settle(books, ex)


@pytest.mark.parametrize("keep", ["a", "b"])
def test_keeping_a_value_writes_it_everywhere_and_closes_the_conflict_on_every_laptop(unit, keep: str) -> None:  # type: ignore[no-untyped-def]
    books, ex, (rid, _, _) = unit
    _postcode_conflict(books, ex, rid)
    assert {_postcode(b, rid) for b in books.values()} == {"BB1 1AA"}  # the later stands
    (item,) = books["A"].sync.conflicts()
    assert item.what == "Postcode" and item.resident_name == "Lee Park" and item.reference
    a, b = item.sides
    assert (a.value, b.value) == ("PR2 9ZZ", "BB1 1AA")
    assert (a.by, b.by) == ("Sam Worker", "Morgan Manager")
    assert (a.laptop, b.laptop) == ("this laptop", f"another laptop ({books['B'].device_id[-6:]})")
    assert not a.stands and b.stands
    assert last_audit(books["A"])[0][0] == "sync.conflicts.list"  # reading it is audited

    books["A"].sync.keep_value(item.id, keep)
    want = {"a": "PR2 9ZZ", "b": "BB1 1AA"}[keep]
    assert _postcode(books["A"], rid) == want
    assert books["A"].sync.conflicts() == []
    action, detail = last_audit(books["A"])[0]
    assert action == "sync.conflict.keep_value" and detail["kept"] == keep and detail["field"] == "postcode"
    assert books["A"].sync.status().pending_ops == 1  # the choice is an op of its own

    settle(books, ex)
    for name, book in books.items():
        assert _postcode(book, rid) == want, name
        assert book.sync.status().conflicts_waiting == 0, name
    assert books["B"].sync.conflicts() == []  # the senior's laptop met the choice by a pull
    with books["B"]._read() as s:  # nothing lost: both values are still in the record kept
        (c,) = raw_conflicts(s, include_resolved=True)
        assert (c.value_a, c.value_b) == ("PR2 9ZZ", "BB1 1AA")
    assert len({str(digest(b)) for b in books.values()}) == 1


def test_a_key_worker_sees_only_their_own_residents_and_no_forks(unit) -> None:  # type: ignore[no-untyped-def]
    books, ex, (rid, _, _) = unit
    _postcode_conflict(books, ex, rid)
    assert books["C"].sync.conflicts() == []  # worker2 is not Lee's key worker
    assert books["C"].sync.status().conflicts_waiting == 0
    assert books["A"].sync.status().conflicts_waiting == 1
    assert books["A"].sync.conflict_count_for(rid) == 1
    (item,) = books["B"].sync.conflicts()
    with pytest.raises(NotFound):
        books["C"].sync.keep_value(item.id, "a")  # not theirs to choose
    assert _postcode(books["C"], rid) == "BB1 1AA"


def test_out_of_hours_and_administrators_are_refused(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    nights = book_factory("nights")
    with pytest.raises(PermissionDenied):
        nights.sync.conflicts()
    with pytest.raises(PermissionDenied):
        nights.sync.keep_value("x", "a")
    admin = book_factory("admin")
    with pytest.raises(PermissionDenied):
        admin.sync.conflicts()
    worker = book_factory("worker")
    with pytest.raises(PermissionDenied):
        worker.sync.choose_version("x", "y")
    with pytest.raises(PermissionDenied):
        worker.sync.merge_duplicate("x", "y")
    with pytest.raises(PermissionDenied):
        worker.sync.laptops()
    assert nights.sync.status().enrolled is False  # the status line is open: numbers only


def _fork(books: dict[str, Casebook], ex: Exchange, aid: str, plan_id: str) -> None:
    for name, status in (("A", "in_progress"), ("B", "achieved")):
        plan = books[name].care_plans.get(admission_id=aid)
        c = plan.content.copy()
        c.goals[0].status = status
        books[name].care_plans.revise(plan_id, c, f"Changed on {name}")
    settle(books, ex)


@pytest.mark.parametrize("how", ["choose", "merge"])
def test_a_senior_chooses_or_merges_a_forked_plan_and_every_laptop_follows(unit, how: str) -> None:  # type: ignore[no-untyped-def]
    books, ex, (rid, aid, plan_id) = unit
    _fork(books, ex, aid, plan_id)
    assert books["A"].sync.conflicts() == []  # a key worker does not see forks
    (item,) = books["B"].sync.conflicts()
    assert item.kind == "fork" and item.what == "Care plan: two versions"
    assert {s.value.split(":")[0] for s in item.sides} == {"Version 2"}
    assert all(s.content for s in item.sides)
    chosen = next(s for s in item.sides if "Changed on A" in s.value)
    other = next(s for s in item.sides if s is not chosen)
    if how == "choose":
        new_id = books["B"].sync.choose_version(item.id, chosen.key)
        want = json.loads(chosen.content or "")
    else:
        merged = json.loads(chosen.content or "")
        merged["goals"][0]["status"] = "achieved"
        new_id = books["B"].sync.merge_versions(item.id, json.dumps(merged), based_on=chosen.key)
        want = merged
    assert books["B"].sync.conflicts() == []
    assert last_audit(books["B"])[0][0] == f"sync.fork.{how}"
    settle(books, ex)
    for name, book in books.items():
        with book._read() as s:
            plan = s.get(CarePlan, plan_id)
            assert plan.current_version_id == new_id, name
            v = s.get(CarePlanVersion, new_id)
            assert v.parent_version_id == chosen.key and v.number == 3
            assert other.key in (v.reason or "")  # it names the other, which stays
            assert s.get(CarePlanVersion, other.key) is not None
            assert json.loads(v.content)["goals"][0]["status"] == want["goals"][0]["status"]
        assert book.sync.conflicts() == [], name
    assert len({str(digest(b)) for b in books.values()}) == 1


def test_a_probable_duplicate_merged_moves_the_stay_and_archives_the_other(unit) -> None:  # type: ignore[no-untyped-def]
    books, ex, _ = unit
    ra = admit(books["B"], given_name="Ann", family_name="O'Neill", date_of_birth=date(1979, 6, 1))
    rb = admit(as_senior(books, "C"), given_name="ann", family_name="O Neill", date_of_birth=date(1979, 6, 1))
    settle(books, ex)
    items = books["B"].sync.conflicts()
    dup = next(i for i in items if i.what == "Probable duplicate")
    assert {s.key for s in dup.sides} == {ra.id, rb.id}
    assert any(i.what == "Same reference number" for i in items)
    books["B"].sync.merge_duplicate(dup.id, ra.id)
    assert books["B"].sync.conflicts() == []  # both about the pair are closed
    settle(books, ex)
    for name, book in books.items():
        with book._read() as s:
            assert s.get(Resident, rb.id).archived and not s.get(Resident, ra.id).archived, name
            stays = s.scalars(select(Admission.resident_id).where(Admission.id.in_(
                [_admission_of(s, ra.id, rb.id)]))).all()
            assert set(s.scalars(select(Admission.resident_id).where(
                Admission.resident_id.in_([ra.id, rb.id]))).all()) == {ra.id}, name
            assert stays
    assert len({str(digest(b)) for b in books.values()}) == 1


def _admission_of(s: Any, *rids: str) -> str:
    return s.scalars(select(Admission.id).where(Admission.resident_id.in_(rids))).first()


def test_not_the_same_person_keeps_both(unit) -> None:  # type: ignore[no-untyped-def]
    books, ex, _ = unit
    ra = admit(books["B"], given_name="Ann", family_name="Lee", date_of_birth=date(1980, 1, 1))
    rb = admit(as_senior(books, "C"), given_name="Ann", family_name="Lee", date_of_birth=date(1980, 1, 1))
    settle(books, ex)
    dup = next(i for i in books["B"].sync.conflicts() if i.kind == "duplicate")
    books["B"].sync.not_duplicate(dup.id)
    assert books["B"].sync.conflicts() == []
    assert last_audit(books["B"])[0][0] == "sync.duplicate.not_same"
    with books["B"]._read() as s:
        assert not s.get(Resident, ra.id).archived and not s.get(Resident, rb.id).archived
    # the decision moves: the other senior's laptop no longer offers the pair for merging
    assert any(i.kind == "duplicate" for i in books["C"].sync.conflicts())
    settle(books, ex)
    assert not any(i.kind == "duplicate" for i in books["C"].sync.conflicts())
    assert len({str(digest(b)) for b in books.values()}) == 1


def test_status_says_when_it_last_synced_and_whether_it_is_stale(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    books, ex, (rid, _, _) = unit
    book = books["A"]
    st = book.sync.status()
    assert not st.enrolled and not st.stale and st.text == ""
    monkeypatch.setattr(SyncService, "_hub", lambda self: (True, "https://hub.example:8443"))
    assert book.sync.status().stale  # enrolled, never synced
    now = book.clock.now()
    with book._write() as s:
        set_state(s, "last_synced_at", (now - timedelta(minutes=2)).isoformat())
    st = book.sync.status()
    assert st.enrolled and not st.stale and st.hub_url == "https://hub.example:8443"
    from keyworker.sync.service import status_words

    assert status_words(st, now) == "Synced 2 min ago"
    book.residents.update(rid, {"postcode": "PR3 1AA"})
    assert book.sync.status().pending_ops == 1
    book.clock.advance(minutes=16)
    assert book.sync.status().stale
    with book._write() as s:
        set_state(s, "offline_since", (now - timedelta(minutes=1)).isoformat())
    assert status_words(book.sync.status(), book.clock.now()).startswith("Offline since ")


def test_notes_from_another_laptop_are_found_by_search_and_a_correction_replaces_them(unit) -> None:  # type: ignore[no-untyped-def]
    from keyworker.notes import NoteInput

    books, ex, (rid, _, _) = unit
    a, b = books["A"], books["B"]
    note = a.notes.write(NoteInput(rid, "Talked about the allotment and her daughter's visit."))
    settle(books, ex)
    assert [e.record_id for e in b.notes.timeline(rid, search="allotment")] == [note.id]
    new = a.notes.correct(note.id, NoteInput(rid, "Talked about the garden and her daughter's visit."), "Wrong word")
    settle(books, ex)
    assert b.notes.timeline(rid, search="allotment") == []
    assert [e.record_id for e in b.notes.timeline(rid, search="garden")] == [new.id]
    assert [e.record_id for e in books["C"].notes.timeline(rid, search="daught")] == [new.id]  # as you type

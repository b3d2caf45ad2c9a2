"""Case notes, corrections, the handover and the resident's timeline: append-only with the old
text kept, the handover's default "since" at the previous shift's start across midnight and
the clock changes, full-text search within one resident, who may write, check's count."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.incidents import IncidentInput
from keyworker.notes import NoteInput
from tests.fixtures.caseload import last_audit
from tests.unit import care_helpers
from tests.unit.test_cli import run


def _note(book: Casebook, rid: str, text: str, at: datetime | str | None = None, **kw) -> str:  # type: ignore[no-untyped-def]
    return book.notes.write(NoteInput(rid, text, about_at=at, **kw)).id


def test_a_night_worker_writes_a_note_for_the_next_shift_and_a_day_worker_acknowledges_it(
        manager_book: Casebook, book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(manager_book)
    nights = book_factory("nights")
    clock.set(datetime(2026, 1, 5, 23, 30))
    note = nights.notes.write(NoteInput(rid, "Restless; asked for the late key worker in the morning.", "Handover",
                                        for_next_shift=True))
    assert (note.category, note.category_label, note.written_by_name, note.flag_open) == (
        "handover", "Handover", "Nico Nights", True)
    assert note.about_at == clock.now()
    assert last_audit(nights)[0] == ("note.write", {"category": "handover", "for_next_shift": True})
    worker = book_factory("worker")
    assert [f.record_id for f in worker.notes.open_flags("mine")] == [note.id]
    done = worker.notes.acknowledge(note.id)
    assert (done.flag_open, done.acknowledged_by_name) == (False, "Sam Worker")
    assert worker.notes.open_flags("unit") == []
    with pytest.raises(ValidationError, match="already been acknowledged"):
        worker.notes.acknowledge(note.id)


def test_a_note_about_the_future_or_without_text_is_refused_naming_the_field(
        worker_book: Casebook, clock: FixedClock) -> None:
    rid, _ = care_helpers.admit(worker_book)
    with pytest.raises(ValidationError) as e:
        worker_book.notes.write(NoteInput(rid, "  ", about_at="06/01/2026 10:00"))
    assert set(e.value.fields) == {"text", "about_at"}
    assert "future" in e.value.fields["about_at"]
    with pytest.raises(ValidationError, match="Choose one of: General, Handover"):
        worker_book.notes.write(NoteInput(rid, "Fine", category="gossip"))


def test_a_correction_supersedes_and_the_old_text_stays_visible_with_the_reason(
        worker_book: Casebook, clock: FixedClock) -> None:
    rid, _ = care_helpers.admit(worker_book)
    first = worker_book.notes.write(NoteInput(rid, "Went to the GP with Ann.", "health", "05/01/2026 08:00"))
    with pytest.raises(ValidationError) as e:
        worker_book.notes.correct(first.id, NoteInput(rid, "Went to the GP alone.", "health", "05/01/2026 08:00"), " ")
    assert "correction_reason" in e.value.fields
    fixed = worker_book.notes.correct(first.id, NoteInput(rid, "Went to the GP alone.", "health", "05/01/2026 08:00"),
                                      "Wrong name: Ann did not go")
    assert fixed.supersedes_id == first.id
    assert last_audit(worker_book)[0] == ("note.correct", {"supersedes": first.id})
    versions = worker_book.notes.history(fixed.id)
    assert [v.text for v in versions] == ["Went to the GP with Ann.", "Went to the GP alone."]
    assert versions[0].superseded_by_id == fixed.id
    entries = worker_book.notes.timeline(rid)
    old = next(e for e in entries if e.record_id == first.id)
    assert (old.superseded, old.text, old.correction) == (True, "Went to the GP with Ann.", "Wrong name: Ann did not go")
    assert not next(e for e in entries if e.record_id == fixed.id).superseded
    with pytest.raises(ValidationError, match="already been corrected"):
        worker_book.notes.correct(first.id, NoteInput(rid, "Again", "health"), "Again")
    # search finds the current text only
    assert [e.record_id for e in worker_book.notes.timeline(rid, search="alone")] == [fixed.id]
    assert worker_book.notes.timeline(rid, search="Ann") == []


def test_full_text_search_finds_a_word_in_a_note_and_nothing_in_another_residents(
        worker_book: Casebook, clock: FixedClock) -> None:
    a, _ = care_helpers.admit(worker_book, given="Dana")
    b, _ = care_helpers.admit(worker_book, given="Lee")
    hit = _note(worker_book, a, "Talked about the allotment and her daughter's visit.")
    _note(worker_book, a, "Quiet day.")
    _note(worker_book, b, "Helped in the allotment today.")
    assert [e.record_id for e in worker_book.notes.timeline(a, search="allotment")] == [hit]
    assert [e.record_id for e in worker_book.notes.timeline(a, search="daught")] == [hit]  # as you type
    assert worker_book.notes.timeline(b, search="daughter") == []
    assert worker_book.notes.timeline(a, search='"; DROP TABLE x; --') == []
    assert last_audit(worker_book)[0] == ("notes.history", {"search": True})


def test_search_reads_only_its_hits_not_the_whole_timeline_and_never_another_residents(
        worker_book: Casebook, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search in a record of 2,000 notes took as long as opening it: the index is asked first,
    then only the hits are read from their sources (the whole timeline is never built)."""
    import dataclasses

    from keyworker import timeline

    a, _ = care_helpers.admit(worker_book, given="Dana", admitted_on=date(2026, 1, 1))
    b, _ = care_helpers.admit(worker_book, given="Lee")
    old = _note(worker_book, a, "Went to the allotment with her sister.", "02/01/2026 10:00")
    new = _note(worker_book, a, "Allotment again, then group.", "04/01/2026 10:00")
    _note(worker_book, a, "Quiet day.")
    _note(worker_book, b, "Helped in the allotment today.")
    for kind in ("note", "contact"):
        src = timeline._SOURCES[kind]

        def whole_timeline(*_a: object, _k: str = kind) -> list[timeline.TimelineEntry]:
            raise AssertionError(f"search built the whole {_k} timeline")

        monkeypatch.setitem(timeline._SOURCES, kind, dataclasses.replace(src, fetch=whole_timeline))
    hits = worker_book.notes.timeline(a, search="allotment")
    assert [e.record_id for e in hits] == [new, old]  # newest first, as the list shows them
    assert {e.resident_id for e in hits} == {a}
    assert hits[1].text == "Went to the allotment with her sister."
    assert [e.record_id for e in worker_book.notes.timeline(a, kinds=("note",), search="allot",
                                                           date_to=date(2026, 1, 3))] == [old]
    assert worker_book.notes.timeline(a, kinds=("incident",), search="allotment") == []
    assert [e.resident_id for e in worker_book.notes.timeline(b, search="allotment")] == [b]
    assert last_audit(worker_book)[0] == ("notes.history", {"search": True})


def test_the_timeline_comes_a_page_at_a_time_newest_first_with_the_true_count(
        worker_book: Casebook, clock: FixedClock) -> None:
    rid, _ = care_helpers.admit(worker_book, admitted_on=date(2026, 1, 1))
    ids = [_note(worker_book, rid, f"Day {d}: settled.", f"{d:02d}/12/2025 10:00") for d in range(2, 9)]
    # an incident on the 5th, between the notes, comes on the page where its time puts it
    inc = worker_book.incidents.record(IncidentInput(rid, "05/12/2025 22:00", "violence", "Shouting")).id
    ids.insert(4, inc)
    newest_first = ids[::-1]
    page = worker_book.notes.timeline_page(rid, limit=3)
    assert ([e.record_id for e in page.entries], page.total, page.older) == (newest_first[:3], 8, 5)
    last = page.entries[-1]
    page2 = worker_book.notes.timeline_page(rid, limit=3, before=(last.at, last.record_id))
    assert ([e.record_id for e in page2.entries], page2.total, page2.older) == (newest_first[3:6], 8, 2)
    last = page2.entries[-1]
    page3 = worker_book.notes.timeline_page(rid, limit=3, before=(last.at, last.record_id))
    assert ([e.record_id for e in page3.entries], page3.total, page3.older) == (newest_first[6:], 8, 0)
    assert [e.record_id for e in worker_book.notes.timeline_page(rid, ("note",), limit=10).entries] == \
        [i for i in newest_first if i != inc]
    assert [e.record_id for e in worker_book.notes.timeline_page(
        rid, date_from=date(2025, 12, 5), date_to=date(2025, 12, 5), limit=1).entries] == [inc]
    assert last_audit(worker_book)[0] == ("notes.history", {})  # each page is an audited read
    assert [e.record_id for e in worker_book.notes.timeline(rid)] == newest_first  # no limit: everything
    assert [e.record_id for e in worker_book.notes.timeline(rid, limit=2)] == newest_first[:2]
    found = worker_book.notes.timeline_page(rid, search="settled", limit=2)
    assert ([e.record_id for e in found.entries], found.total, found.older) == ([ids[-1], ids[-2]], 7, 5)
    with pytest.raises(ValidationError):
        worker_book.notes.timeline_page(rid, limit=0)


def test_the_timeline_merges_notes_and_incidents_newest_first_and_filters_by_kind_and_day(
        worker_book: Casebook, clock: FixedClock) -> None:
    rid, _ = care_helpers.admit(worker_book, admitted_on=date(2026, 1, 1))
    n1 = _note(worker_book, rid, "Settling in.", "02/01/2026 10:00")
    inc = worker_book.incidents.record(IncidentInput(rid, "03/01/2026 22:00", "violence", "Shouting at staff")).id
    n2 = _note(worker_book, rid, "Apologised.", "04/01/2026 09:00")
    all_ = worker_book.notes.timeline(rid)
    assert [e.record_id for e in all_] == [n2, inc, n1]
    assert all_[1].title == "Incident: Violence or threat"
    assert [e.record_id for e in worker_book.notes.timeline(rid, kinds=("note",))] == [n2, n1]
    assert [e.record_id for e in worker_book.notes.timeline(rid, date_from=date(2026, 1, 3),
                                                           date_to=date(2026, 1, 3))] == [inc]
    with pytest.raises(ValidationError):
        worker_book.notes.timeline(rid, kinds=("gossip",))


def _at(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def test_handover_is_exactly_the_notes_since_the_previous_shift_began_across_midnight(
        worker_book: Casebook, clock: FixedClock) -> None:
    rid, _ = care_helpers.admit(worker_book)
    clock.set(datetime(2026, 1, 6, 8, 0))  # early shift; previous: the night from 05/01 21:30
    before = _note(worker_book, rid, "Late shift: all calm.", _at(2026, 1, 5, 21, 29))
    at_start = _note(worker_book, rid, "Night starts.", _at(2026, 1, 5, 21, 30))
    after_midnight = _note(worker_book, rid, "Up at 2.", _at(2026, 1, 6, 2, 0), for_next_shift=True)
    h = worker_book.notes.handover()
    assert h.since == _at(2026, 1, 5, 21, 30)
    assert h.since_words == "the start of the night shift (21:30 on 05/01/2026)"
    assert [i.record_id for i in h.items] == [after_midnight, at_start]  # flagged first
    assert h.items[0].flagged and before not in [i.record_id for i in h.items]
    chosen = worker_book.notes.handover("05/01/2026 21:00")
    assert [i.record_id for i in chosen.items] == [after_midnight, at_start, before]


@pytest.mark.parametrize(("now", "since_utc"), [
    # Clocks go forward at 01:00 GMT on 29/03/2026: the night began 21:30 GMT on the 28th.
    (datetime(2026, 3, 29, 7, 30), datetime(2026, 3, 28, 21, 30, tzinfo=UTC)),
    # Clocks go back at 02:00 BST on 25/10/2026: the night began 21:30 BST (20:30 UTC) on the 24th.
    (datetime(2026, 10, 25, 7, 30), datetime(2026, 10, 24, 20, 30, tzinfo=UTC)),
])
def test_handover_since_the_night_shift_across_a_clock_change(
        worker_book: Casebook, clock: FixedClock, now: datetime, since_utc: datetime) -> None:
    rid, _ = care_helpers.admit(worker_book, admitted_on=date(2026, 1, 5))
    clock.set(now)
    just_before = _note(worker_book, rid, "Before", since_utc.replace(minute=29))
    at = _note(worker_book, rid, "Start", since_utc)
    # 01:30 UTC is in the changed hour: 02:30 BST just after the jump in March, the second 01:30
    # (GMT) in October
    in_change = _note(worker_book, rid, "In the changed hour", since_utc.replace(day=since_utc.day + 1, hour=1,
                                                                                 minute=30))
    h = worker_book.notes.handover()
    assert h.since == since_utc
    assert [i.record_id for i in h.items] == [in_change, at]
    assert just_before not in {i.record_id for i in h.items}


def test_the_shift_times_come_from_the_units_settings(admin_book: Casebook, book_factory,
                                                      clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    admin_book.settings.set("shift_night", "22:00")
    worker = book_factory("worker")
    clock.set(datetime(2026, 1, 6, 8, 0))
    assert worker.notes.handover().since == _at(2026, 1, 5, 22, 0)


def test_out_of_hours_write_notes_but_cannot_alter_a_care_plan(
        manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rid, aid = care_helpers.admit(manager_book)
    view = manager_book.care_plans.save_draft(aid, care_helpers.full_content())
    nights = book_factory("nights")
    assert nights.notes.write(NoteInput(rid, "Slept well.")).written_by_name == "Nico Nights"
    with pytest.raises(PermissionDenied):
        nights.care_plans.save_draft(aid, care_helpers.full_content())
    with pytest.raises(PermissionDenied):
        nights.care_plans.revise(view.plan_id or "", care_helpers.full_content(), "Night change")
    admin = book_factory("admin")
    with pytest.raises(PermissionDenied):
        admin.notes.write(NoteInput(rid, "Admin note"))


def test_check_reports_the_open_handover_flags(worker_book: Casebook, db_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rid, _ = care_helpers.admit(worker_book)
    n = worker_book.notes.write(NoteInput(rid, "Ask about the dentist.", for_next_shift=True))
    worker_book.notes.write(NoteInput(rid, "Ask about the bus pass.", for_next_shift=True))
    worker_book.notes.acknowledge(n.id)
    assert worker_book.check(integrity=False)["handover_flags_open"] == 1


def test_open_flags_and_the_handover_read_their_indexes_not_the_whole_table(worker_book: Casebook) -> None:
    """On a unit with a million notes a scan took 38 s: the flags come from the partial index, the
    handover from the time index (an index on superseded_by_id, NULL almost everywhere, misled
    SQLite into scanning by it)."""
    from sqlalchemy import select, text

    from keyworker.db.notes import CaseNote
    from keyworker.notes import OPEN_FLAG

    def plan(q) -> str:  # type: ignore[no-untyped-def]
        with worker_book._read() as s:
            sql = str(q.compile(compile_kwargs={"literal_binds": True}))
            return " ".join(str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))

    assert "ix_case_notes_open_flags" in plan(select(CaseNote.id).where(*OPEN_FLAG))
    since = select(CaseNote.id).where(CaseNote.about_at >= datetime(2026, 1, 5, tzinfo=UTC))
    assert "ix_case_notes_about_at" in plan(since)
    with worker_book._read() as s:
        names = set(s.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name IN ('case_notes', 'contacts')")).scalars())
    assert not {n for n in names if "supersede" in n}

"""Key-work sessions and groups (book.key_work): what the form says in words, who may record (key
workers and seniors; nights read), corrections that supersede with a reason and keep the old text,
goal progress that appears in the care plan, a group's register on each attendee's record, the
interventions summary and its attendance rate, Today's follow-ups, and the check keys."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.key_work_input import Attendance, FollowUp, GoalWork, GroupInput, SessionInput
from keyworker.timeline import merge
from tests.conftest import open_as
from tests.fixtures.caseload import last_audit
from tests.unit.care_helpers import admit, assess_risk, full_content
from tests.unit.test_cli import run


def session(rid: str, **kw: object) -> SessionInput:
    base: dict[str, object] = dict(resident_id=rid, held_on=date(2026, 1, 5), start_time="10:30",
                                   duration_minutes=50, kind="one_to_one", outcome="attended",
                                   notes="Talked about cravings at weekends.")
    base.update(kw)
    return SessionInput(**base)  # type: ignore[arg-type]


def test_the_form_is_checked_in_words(worker_book: Casebook) -> None:
    rid, _ = admit(worker_book)
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.record(session(rid, outcome="did_not_attend", start_time="25:00", duration_minutes=0,
                                            held_on="06/01/2026", kind="yoga"))
    f = e.value.fields
    assert f["outcome_reason"] == "Say why the resident did not attend (the reason is required)."
    assert f["start_time"] == "Start time must be a time like 14:30."
    assert f["duration_minutes"] == "Length in minutes must be between 1 and 480."
    assert f["held_on"] == "Date must be between 01/01/2000 and 05/01/2026."
    assert f["kind"].startswith("Choose one of: One-to-one key work, Group,")
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.record(session(rid, outcome="cancelled", follow_ups=[FollowUp("", "Sam", None)]))
    assert e.value.fields["outcome_reason"] == "Say why the session was cancelled (the reason is required)."
    assert e.value.fields["follow_ups.0.what"] == "Follow-up action is required."
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.record(session(rid, held_on=date(2025, 12, 1)))
    assert e.value.fields["held_on"] == "The resident was not staying in the unit on 01/12/2025."


def test_a_session_is_recorded_and_read_with_who_and_when(worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book)
    v = worker_book.key_work.record(session(rid, kind="Psychosocial intervention", intervention="Relapse prevention",
                                            follow_ups=[FollowUp("Book GP appointment", "Sam Worker", date(2026, 1, 9))]))
    assert v.admission_id == aid and v.kind == "psychosocial" and v.recorded_by_name == "Sam Worker"
    assert v.title == "Psychosocial intervention (Relapse prevention): attended"
    assert v.when_text == "05/01/2026 10:30, 50 min"
    nights = book_factory("nights")
    got = nights.key_work.for_resident(rid)
    assert [s.id for s in got] == [v.id] and got[0].follow_ups[0].what == "Book GP appointment"


def test_out_of_hours_and_the_administrator_cannot_record_a_session(book_factory) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    rid, _ = admit(worker)
    for who in ("nights", "admin"):
        book = book_factory(who)
        with pytest.raises(PermissionDenied):
            book.key_work.record(session(rid))
        with pytest.raises(PermissionDenied):
            book.key_work.record_group(GroupInput("Relapse prevention", date(2026, 1, 5), "14:00", 90, "Sam Worker",
                                                  [Attendance(rid, "attended")]))
    assert worker.key_work.for_resident(rid) == []
    with pytest.raises(PermissionDenied):
        book_factory("admin").key_work.for_resident(rid)


def test_a_correction_supersedes_with_a_reason_and_the_old_text_stays(worker_book: Casebook) -> None:
    rid, _ = admit(worker_book)
    first = worker_book.key_work.record(session(rid, notes="Discussed housing with the council."))
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.correct(first.id, session(rid, notes="Discussed housing with Preston council."), "  ")
    assert "Say why" in e.value.fields["correction_reason"]
    second = worker_book.key_work.correct(first.id, session(rid, notes="Discussed housing with Preston council."),
                                          "Named the council")
    action, detail = last_audit(worker_book)[0]
    assert action == "key_work.correct" and detail["supersedes"] == first.id
    assert second.supersedes_id == first.id and second.correction_reason == "Named the council"
    assert [s.notes for s in worker_book.key_work.for_resident(rid)] == ["Discussed housing with Preston council."]
    history = worker_book.key_work.for_resident(rid, include_superseded=True)
    old = next(s for s in history if s.id == first.id)
    assert old.superseded and old.notes == "Discussed housing with the council."
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.correct(first.id, session(rid), "Again")
    assert "already been corrected" in e.value.fields["correction_reason"]
    with worker_book._read() as s:
        entries = merge(s, rid, ["session"], None, None)
    assert {(x.record_id, x.superseded, x.correction) for x in entries} == {
        (first.id, True, "Named the council"), (second.id, False, "Named the council")}


def test_goal_progress_from_a_session_appears_in_the_care_plan(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    plan = worker_book.care_plans.save_draft(aid, full_content())
    assess_risk(worker_book, aid)
    plan = worker_book.care_plans.mark_complete(plan.plan_id)
    goal = plan.content.goals[0]
    assert plan.version is not None and goal.progress_notes == ""
    worker_book.key_work.record(session(rid, goals=[GoalWork(goal.id, "Two weeks without heroin; using SMART.")]))
    after = worker_book.care_plans.get(rid)
    assert after.content.goal(goal.id).progress_notes == "05/01/2026 (key-work session): Two weeks without heroin; using SMART."  # type: ignore[union-attr]
    assert after.version is not None and after.version.number == plan.version.number + 1
    assert after.version.reason == "Progress from the key-work session of 05/01/2026"
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.record(session(rid, goals=[GoalWork("not-a-goal", "x")]))
    assert e.value.fields["goals.0.goal_id"] == "That goal is not in the resident's current care plan."


def test_goal_progress_goes_into_a_draft_plan_in_place(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    plan = worker_book.care_plans.save_draft(aid, full_content())
    goal = plan.content.goals[1]
    worker_book.key_work.record(session(rid, goals=[GoalWork(goal.id, "Viewed a flat")]))
    after = worker_book.care_plans.get(rid)
    assert after.status == "draft" and after.content.goal(goal.id).progress_notes.endswith("Viewed a flat")  # type: ignore[union-attr]


def test_a_group_register_shows_on_each_attendees_record(worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    a, _ = admit(worker_book, given="Ann")
    b, _ = admit(worker_book, given="Ben")
    c, _ = admit(worker_book, given="Cal")
    names = {r.name for r in worker_book.key_work.register_candidates()}
    assert {"Ann Whitfield", "Ben Whitfield", "Cal Whitfield"} <= names
    g = worker_book.key_work.record_group(GroupInput(
        "Relapse prevention", "05/01/2026", "14:00", 90, "Sam Worker, Jo Second",
        [Attendance(a, "attended"), Attendance(b, "Did not attend", "Stayed in bed"), Attendance(c, "excused")],
        kind="psychosocial"))
    assert [x.attendance_label for x in g.register] == ["Attended", "Did not attend", "Excused"]
    nights = book_factory("nights")
    for rid, label in ((a, "attended"), (b, "did not attend"), (c, "excused")):
        entries = nights.key_work.groups_for_resident(rid)
        assert [(e.group_id, e.title_text) for e in entries] == [(g.id, f"Group: Relapse prevention: {label}")]
        with nights._read() as s:
            assert [e.record_id for e in merge(s, rid, ["session"], None, None)] == [g.id]
    with pytest.raises(ValidationError) as e:
        worker_book.key_work.record_group(GroupInput("Empty", "05/01/2026", "14:00", 60, "Sam", []))
    assert e.value.fields["register"] == "Mark at least one resident on the register."


def test_the_summary_counts_by_type_with_the_attendance_rate(worker_book: Casebook, clock: FixedClock) -> None:
    rid, aid = admit(worker_book)
    clock.set(datetime(2026, 1, 20, 17, 0, tzinfo=LONDON))
    rec = worker_book.key_work.record
    rec(session(rid, held_on=date(2026, 1, 6)))
    rec(session(rid, held_on=date(2026, 1, 13)))
    rec(session(rid, held_on=date(2026, 1, 8), kind="harm_reduction"))
    rec(session(rid, held_on=date(2026, 1, 15), outcome="did_not_attend", outcome_reason="Unwell"))
    rec(session(rid, held_on=date(2026, 1, 16), outcome="cancelled", outcome_reason="Staff sick"))
    worker_book.key_work.record_group(GroupInput("Art", date(2026, 1, 9), "15:00", 60, "Jo Second",
                                                 [Attendance(rid, "attended")], kind="recreational"))
    s = worker_book.key_work.summary(aid)
    assert [(t.label, t.count, t.first_on, t.last_on) for t in s.types] == [
        ("One-to-one key work", 2, date(2026, 1, 6), date(2026, 1, 13)),
        ("Harm-reduction advice", 1, date(2026, 1, 8), date(2026, 1, 8)),
        ("Recreational activity", 1, date(2026, 1, 9), date(2026, 1, 9))]
    assert (s.attended, s.did_not_attend, s.cancelled) == (4, 1, 1)
    assert s.attendance_rate == 0.8 and s.rate_text == "80% attended (4 of 5)"
    assert (s.first_on, s.last_on) == (date(2026, 1, 6), date(2026, 1, 13))


def test_today_lists_follow_ups_due_for_my_residents(worker_book: Casebook, book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    rid, _ = admit(worker_book)
    worker_book.key_work.record(session(rid, follow_ups=[FollowUp("Ring the housing officer", "Sam", date(2026, 1, 7)),
                                                          FollowUp("Far off", "Sam", date(2026, 3, 1))]))
    due = worker_book.key_work.follow_ups_due()
    assert [(d.what, d.by_when, d.overdue) for d in due] == [("Ring the housing officer", date(2026, 1, 7), False)]
    assert book_factory("worker2").key_work.follow_ups_due() == []
    clock.set(datetime(2026, 1, 8, 9, 0, tzinfo=LONDON))
    assert worker_book.key_work.follow_ups_due()[0].overdue


def test_check_json_reports_sessions_and_the_dna_rate(tmp_path: Path, db_path: Path, manager_book: Casebook) -> None:
    now = datetime.now(LONDON).replace(microsecond=0)
    today = now.date()
    rid, _ = admit(manager_book, admitted_on=today - timedelta(days=60))
    manager_book.close()
    book = open_as(db_path, "worker", FixedClock(now))
    try:
        for days, outcome in ((1, "attended"), (2, "attended"), (3, "did_not_attend"), (20, "attended"),
                              (40, "did_not_attend")):
            book.key_work.record(session(rid, held_on=today - timedelta(days=days), outcome=outcome,
                                         outcome_reason="Asleep" if outcome != "attended" else None))
    finally:
        book.close()
    res = run(tmp_path, "check", "--json", "--db", str(db_path))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["sessions_7d"] == 3 and report["dna_rate_30d_pct"] == 25
    text = run(tmp_path, "check", "--db", str(db_path)).stdout
    assert "Key-work sessions and groups in the last 7 days: 3" in text
    assert "Sessions not attended in the last 30 days (%): 25" in text


def test_a_corrected_register_keeps_the_first_with_the_reason(worker_book: Casebook) -> None:
    a, _ = admit(worker_book, given="Ann")
    b, _ = admit(worker_book, given="Ben")
    first = worker_book.key_work.record_group(GroupInput("Art", "05/01/2026", "10:30", 60, "Jo Second",
                                                         [Attendance(a, "attended")]))
    second = worker_book.key_work.correct_group(first.id, GroupInput(
        "Art", "05/01/2026", "10:30", 60, "Jo Second", [Attendance(a, "attended"), Attendance(b, "attended")]),
        "Ben was there too")
    assert second.supersedes_id == first.id and [x.name for x in second.register] == ["Ann Whitfield", "Ben Whitfield"]
    assert [(e.group_id, e.superseded) for e in worker_book.key_work.groups_for_resident(b)] == [(second.id, False)]
    history = worker_book.key_work.groups_for_resident(a, include_superseded=True)
    assert {(e.group_id, e.superseded, e.correction_reason) for e in history} == {
        (first.id, True, "Ben was there too"), (second.id, False, "Ben was there too")}

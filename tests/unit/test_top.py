"""The Treatment Outcomes Profile (issue 14, part O2): validation at every boundary, due TOPs
(start by day 14, the mid-way review, 6-monthly reviews, exit at discharge, post-treatment exit
at the 6-month follow-up), compliance per unit and per key worker on a hand-built set whose
answer is worked out here, permissions and audit."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge, FollowUp
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.top import (DONE, MISSED, OPTIONAL, OVERDUE, UPCOMING, StayFacts, SubstanceUse, TopInput,
                           due_schedule)
from tests.fixtures.caseload import accepted_referral, admission_input, admit, last_audit, resident_input, worker_id

ADMITTED = date(2026, 1, 5)  # tests/fixtures/caseload.py: 12 weeks planned, key worker "worker"


def top_input(resident_id: str, **over: Any) -> TopInput:
    values: dict[str, Any] = dict(
        resident_id=resident_id, stage="start", interview_on=date(2026, 1, 5),
        psychological_health=8, physical_health=10, quality_of_life=6,
        substances=[SubstanceUse("alcohol", [7, 6, 7, 5], average_amount=24),
                    SubstanceUse("opiates", [3, 2, 0, 1], average_amount=0.5),
                    SubstanceUse("cannabis", total_days=4)],
        tobacco_days=28, injecting_days=2, shared_needles=True,
        shoplifting_days=3, assault=True, acute_housing_problem=True)
    values.update(over)
    return TopInput(**values)


def errors_of(book: Casebook, data: TopInput) -> dict[str, str]:
    with pytest.raises(ValidationError) as e:
        book.top.record(data)
    return e.value.fields


def discharge(book: Casebook, admission_id: str, on: date, kind: str = "planned",
              follow_up: str | None = None) -> None:
    """The stay ended (as the discharge parts record it), with its 6-month follow-up if given."""
    from keyworker.follow_ups_schedule import add_months

    with book._write() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None
        adm.discharged_on, adm.discharge_type = on, kind
        if follow_up is not None:
            d = Discharge(admission_id=adm.id, resident_id=adm.resident_id, path=kind, type="planned_completed",
                          ends_stay=True, occurred_at=datetime(on.year, on.month, on.day, 12).astimezone(),
                          state="confirmed", summary_due_at=datetime(on.year, on.month, on.day, 12).astimezone())
            s.add(d)
            s.flush([d])
            s.add(FollowUp(discharge_id=d.id, admission_id=adm.id, resident_id=adm.resident_id, months=6,
                           due_on=add_months(on, 6), status=follow_up))


@pytest.fixture
def resident(manager_book: Casebook) -> tuple[str, str]:
    rec = admit(manager_book)
    return rec.id, rec.admissions[0].id


# -- recording and validation -----------------------------------------------------------------------
def test_a_top_is_recorded_with_its_totals_computed_and_read_back(worker_book: Casebook, resident) -> None:
    rid, aid = resident
    v = worker_book.top.record(top_input(rid))
    assert v.admission_id == aid and v.stage_label == "Start" and v.completed_by_name == "Sam Worker"
    assert v.days_of("alcohol") == 25 and v.days_of("opiates") == 6 and v.days_of("cannabis") == 4
    alcohol = v.substances[0]
    assert alcohol.weeks == (7, 6, 7, 5) and alcohol.amount_text == "24 units"
    assert v.substances[1].amount_text == "0.5 g"
    assert v.substances[2].weeks is None  # only the total was given
    assert last_audit(worker_book)[0] == ("top.record", {"stage": "start", "interview_on": "2026-01-05"})
    again = worker_book.top.get(v.id)
    assert again == v
    assert last_audit(worker_book)[0][0] == "top.view"
    assert worker_book.top.for_resident(rid) == [v]
    assert last_audit(worker_book)[0][0] == "top.history"


@pytest.mark.parametrize("days, ok", [(-1, False), (0, True), (7, True), (8, False)])
def test_days_in_a_week_are_0_to_7(worker_book: Casebook, resident, days: int, ok: bool) -> None:
    rid, _ = resident
    data = top_input(rid, substances=[SubstanceUse("opiates", [1, days, 0, 0])])
    if ok:
        assert worker_book.top.record(data).days_of("opiates") == 1 + days
    else:
        assert errors_of(worker_book, data) == {"substances.opiates.week2": "Opiates, week 2: days must be 0 to 7."}


@pytest.mark.parametrize("total, ok", [(28, True), (29, False)])
def test_a_total_is_at_most_28(worker_book: Casebook, resident, total: int, ok: bool) -> None:
    rid, _ = resident
    data = top_input(rid, substances=[SubstanceUse("crack", total_days=total)])
    if ok:
        assert worker_book.top.record(data).days_of("crack") == 28
    else:
        assert errors_of(worker_book, data) == {
            "substances.crack.total_days": "Crack: total days cannot be more than 28."}


def test_an_entered_total_is_checked_against_the_weeks(worker_book: Casebook, resident) -> None:
    rid, _ = resident
    errs = errors_of(worker_book, top_input(rid, substances=[SubstanceUse("cocaine", [1, 1, 1, 1], total_days=5)]))
    assert errs == {"substances.cocaine.total_days": "Cocaine: the total (5) is not the sum of the four weeks (4)."}
    ok = worker_book.top.record(top_input(rid, substances=[SubstanceUse("cocaine", [1, 1, 1, 1], total_days=4)]))
    assert ok.days_of("cocaine") == 4


@pytest.mark.parametrize("score, ok", [(-1, False), (0, True), (20, True), (21, False)])
@pytest.mark.parametrize("scale, label", [("psychological_health", "Psychological health"),
                                          ("physical_health", "Physical health"),
                                          ("quality_of_life", "Quality of life")])
def test_the_scales_are_0_to_20(worker_book: Casebook, resident, scale: str, label: str, score: int,
                                ok: bool) -> None:
    rid, _ = resident
    data = top_input(rid, **{scale: score})
    if ok:
        assert getattr(worker_book.top.record(data), scale) == score
    else:
        assert errors_of(worker_book, data) == {scale: f"{label} must be 0 to 20."}


@pytest.mark.parametrize("days, ok", [(-1, False), (0, True), (28, True), (29, False)])
def test_days_of_the_past_28(worker_book: Casebook, resident, days: int, ok: bool) -> None:
    rid, _ = resident
    data = top_input(rid, paid_work_days=days)
    if ok:
        assert worker_book.top.record(data).paid_work_days == days
    else:
        assert errors_of(worker_book, data) == {"paid_work_days": "Paid work: days must be 0 to 28."}


def test_other_checks_name_their_field_and_save_nothing(worker_book: Casebook, resident) -> None:
    rid, _ = resident
    errs = errors_of(worker_book, top_input(
        rid, interview_on=date(2026, 1, 6), stage="middle",
        substances=[SubstanceUse("other", total_days=3), SubstanceUse("alcohol", total_days=0, average_amount=3)]))
    assert errs == {
        "interview_on": "The interview date cannot be in the future.",
        "stage": "Choose one of: Start, Review, Exit, Post-treatment exit.",
        "substances.other.other_name": "Other substance: say which substance.",
        "substances.alcohol.average_amount": "Alcohol: an average amount needs at least one day of use.",
    }
    assert errors_of(worker_book, top_input(rid, injecting_days=0, shared_needles=True)) == {
        "injecting_days": "Sharing is recorded only with at least one day of injecting."}
    assert worker_book.top.for_resident(rid) == []


def test_one_start_top_per_stay_and_a_post_treatment_exit_only_after_discharge(worker_book: Casebook,
                                                                                resident) -> None:
    rid, _ = resident
    worker_book.top.record(top_input(rid))
    assert errors_of(worker_book, top_input(rid)) == {"stage": "This stay already has a start TOP (05/01/2026)."}
    assert "after discharge" in errors_of(worker_book, top_input(rid, stage="post_treatment_exit"))["stage"]
    assert "before the admission" in errors_of(worker_book, top_input(rid, stage="review",
                                                                      interview_on=date(2026, 1, 1)))["interview_on"]


# -- due TOPs ---------------------------------------------------------------------------------------
def stay(**over: Any) -> StayFacts:
    values: dict[str, Any] = dict(admission_id="a", resident_id="r", key_worker_id="k", admitted_on=ADMITTED,
                                  planned_weeks=12)
    values.update(over)
    return StayFacts(**values)


def by_label(items: list[Any]) -> dict[str, Any]:
    return {d.label: d for d in items}


def test_a_start_top_is_due_within_14_days() -> None:
    items = by_label(due_schedule(stay(), [], date(2026, 1, 19)))
    assert items["Start TOP"].due_on == date(2026, 1, 19) and items["Start TOP"].state == "due"
    assert by_label(due_schedule(stay(), [], date(2026, 1, 20)))["Start TOP"].state == OVERDUE
    done = by_label(due_schedule(stay(), [("t1", "start", date(2026, 1, 30))], date(2026, 2, 1)))
    assert done["Start TOP"].state == DONE and done["Start TOP"].top_id == "t1"  # late, still done


def test_a_review_top_is_due_at_the_mid_way_review() -> None:
    # 12 weeks: mid-way on day 42 (16/02/2026); a review TOP from 09/02 meets it.
    items = by_label(due_schedule(stay(), [], date(2026, 1, 10)))
    mid = items["Mid-way review TOP"]
    assert (mid.due_on, mid.window_from, mid.state) == (date(2026, 2, 16), date(2026, 2, 9), UPCOMING)
    early = due_schedule(stay(), [("t", "review", date(2026, 2, 8))], date(2026, 2, 20))
    assert by_label(early)["Mid-way review TOP"].state == OVERDUE  # a review before the window is another one
    met = due_schedule(stay(), [("t", "review", date(2026, 2, 10))], date(2026, 2, 20))
    assert by_label(met)["Mid-way review TOP"].state == DONE


def test_a_review_top_at_least_every_6_months() -> None:
    long = stay(planned_weeks=104)  # mid-way at a year: a review is still due at 6 months
    items = [d for d in due_schedule(long, [], date(2026, 7, 1)) if d.stage == "review"]
    assert [(d.label, d.due_on) for d in items] == [("6-monthly review TOP", date(2026, 7, 5))]
    later = [d for d in due_schedule(long, [("t", "review", date(2026, 7, 1))], date(2027, 1, 10))
             if d.stage == "review"]
    assert [(d.label, d.due_on, d.state) for d in later] == [
        ("6-monthly review TOP", date(2026, 7, 5), DONE), ("Mid-way review TOP", date(2027, 1, 4), OVERDUE),
        ("6-monthly review TOP", date(2027, 7, 5), UPCOMING)]
    # 6 months after admission falls within 4 weeks of a 52-week stay's mid-way point: one review
    year = stay(planned_weeks=52)
    assert [d.label for d in due_schedule(year, [], date(2026, 7, 1)) if d.stage == "review"] == [
        "Mid-way review TOP"]


def test_an_exit_top_at_discharge_planned_or_where_possible() -> None:
    planned = by_label(due_schedule(stay(discharged_on=date(2026, 3, 30), discharge_type="planned"), [],
                                    date(2026, 3, 31)))
    assert planned["Exit TOP"].due_on == date(2026, 3, 30) and planned["Exit TOP"].state == OVERDUE
    assert planned["Exit TOP"].counted
    unplanned = by_label(due_schedule(stay(discharged_on=date(2026, 2, 1), discharge_type="unplanned"), [],
                                      date(2026, 2, 2)))
    assert unplanned["Exit TOP"].state == OPTIONAL and not unplanned["Exit TOP"].counted
    # no mid-way review once they left before it; the start TOP missed for good
    assert "Mid-way review TOP" not in unplanned and unplanned["Start TOP"].state == MISSED


def test_a_post_treatment_exit_top_at_the_6_month_follow_up() -> None:
    s = stay(discharged_on=date(2026, 3, 30), discharge_type="planned", follow_up_due_on=date(2026, 9, 30),
             follow_up_status="due")
    post = by_label(due_schedule(s, [], date(2026, 10, 1)))["Post-treatment exit TOP"]
    assert (post.due_on, post.state, post.counted) == (date(2026, 9, 30), OVERDUE, True)
    done = by_label(due_schedule(s, [("p", "post_treatment_exit", date(2026, 10, 3))], date(2026, 10, 5)))
    assert done["Post-treatment exit TOP"].state == DONE
    unreached = dataclasses.replace(s, follow_up_status="not_contactable")
    assert not by_label(due_schedule(unreached, [], date(2026, 10, 1)))["Post-treatment exit TOP"].counted


def test_due_and_overdue_through_the_service(worker_book: Casebook, manager_book: Casebook, resident,
                                             clock: FixedClock) -> None:
    rid, aid = resident
    items = worker_book.top.due(rid)
    assert [(d.label, d.due_on) for d in items] == [("Start TOP", date(2026, 1, 19)),
                                                   ("Mid-way review TOP", date(2026, 2, 16))]
    assert last_audit(worker_book)[0][0] == "top.due"
    assert [r.label for r in worker_book.top.unit_due("mine")] == []  # due 19/01: not within a week
    clock.set(datetime(2026, 1, 20, 9, 0))
    rows = worker_book.top.unit_due("mine")
    assert [(r.label, r.overdue, r.text) for r in rows] == [("Start TOP", True, "Start TOP was due 19/01/2026")]
    assert manager_book.top.unit_due("mine") == [] and len(manager_book.top.unit_due("unit")) == 1
    assert [r.label for r in worker_book.top.overdue(rid)] == ["Start TOP"]
    worker_book.top.record(top_input(rid, interview_on=date(2026, 1, 20)))
    assert worker_book.top.overdue(rid) == []


def test_today_lists_a_discharged_stays_exit_tops_while_they_can_still_be_done(
        worker_book: Casebook, manager_book: Casebook, resident, clock: FixedClock) -> None:
    """After a planned discharge on 30/03 the exit TOP is listed until its 90-day limit (28/06), then
    dropped (missed); the post-treatment exit TOP comes up a week before the follow-up (30/09) and
    stays until 90 days after it — long after the stay ended, so the stay is still looked at."""
    rid, aid = resident
    clock.set(datetime(2026, 3, 30, 9, 0))
    worker_book.top.record(top_input(rid, interview_on=date(2026, 1, 12)))
    worker_book.top.record(top_input(rid, stage="review", interview_on=date(2026, 2, 16)))
    discharge(manager_book, aid, date(2026, 3, 30), "planned", follow_up="due")

    def listed(on: date) -> list[str]:
        clock.set(datetime(on.year, on.month, on.day, 9, 0))
        return [r.label for r in manager_book.top.unit_due("unit")]

    assert listed(date(2026, 4, 10)) == ["Exit TOP"]
    assert listed(date(2026, 6, 28)) == ["Exit TOP"]
    assert listed(date(2026, 6, 29)) == []  # past the late limit: missed, no longer listed
    assert listed(date(2026, 9, 22)) == []  # the follow-up is more than a week away
    assert listed(date(2026, 9, 23)) == ["Post-treatment exit TOP"]
    assert listed(date(2026, 12, 29)) == ["Post-treatment exit TOP"]
    assert listed(date(2026, 12, 30)) == []


# -- compliance -------------------------------------------------------------------------------------
def test_compliance_per_unit_and_per_key_worker(book_factory, clock: FixedClock) -> None:
    """Three stays, all admitted 05/01/2026 for 12 weeks, counted on 01/04/2026:
    A (worker): start done, mid-way review done, discharged planned 30/03, exit done -> 3 of 3.
    B (worker): start done late (25/01), mid-way missed, discharged unplanned 01/03 (exit optional,
       not counted) -> 1 of 2.
    C (worker2): no start, mid-way done, still in on 01/04 (a 6-month review not yet due) -> 1 of 2.
    Unit: 5 of 7 = 71.4%, below 90%. worker 4 of 5 = 80.0%; worker2 1 of 2 = 50.0%.
    From 01/02/2026: the mid-way reviews (3 due, 2 done), A's exit (done): 3 of 4 = 75.0%."""
    manager = book_factory("manager")
    a = admit(manager, given_name="Ann")
    b = admit(manager, given_name="Bea")
    c = manager.referrals.admit(accepted_referral(manager, given_name="Cy").id,
                                admission_input(worker_id(manager, "worker2")), resident_input(given_name="Cy"))
    clock.set(datetime(2026, 4, 1, 9, 0))
    rec = manager.top.record
    rec(top_input(a.id, interview_on=date(2026, 1, 8)))
    rec(top_input(a.id, stage="review", interview_on=date(2026, 2, 16)))
    rec(top_input(b.id, interview_on=date(2026, 1, 25)))
    rec(top_input(c.id, stage="review", interview_on=date(2026, 2, 12)))
    discharge(manager, a.admissions[0].id, date(2026, 3, 30), "planned")
    rec(top_input(a.id, stage="exit", interview_on=date(2026, 3, 30)))
    discharge(manager, b.admissions[0].id, date(2026, 3, 1), "unplanned")

    unit = manager.top.compliance()
    assert (unit.due, unit.completed, unit.missing, unit.pct, unit.meets_target) == (7, 5, 2, 71.4, False)
    assert [(k.name, k.due, k.completed, k.pct) for k in unit.key_workers] == [
        ("Jo Second", 2, 1, 50.0), ("Sam Worker", 5, 4, 80.0)]
    assert unit.summary == "5 of 7 due TOPs completed (71.4%), which is below the 90% target."
    feb = manager.top.compliance(start=date(2026, 2, 1))
    assert (feb.due, feb.completed, feb.pct) == (4, 3, 75.0)
    mine = book_factory("worker").top.compliance()
    assert (mine.due, mine.completed, [k.name for k in mine.key_workers]) == (5, 4, ["Sam Worker"])
    assert book_factory("admin").top.compliance(key_worker_id=worker_id(manager, "worker2")).pct == 50.0
    with manager._read() as s:
        # due now and not done: C's start TOP (C is still in; B's missed ones cannot be done now)
        assert manager.top.counts(s) == {"tops_due": 1, "top_compliance_pct": 71.4}
    report = manager.check(integrity=False)
    assert (report["tops_due"], report["top_compliance_pct"]) == (1, 71.4)


def test_who_may_see_compliance(book_factory) -> None:
    manager = book_factory("manager")
    worker = book_factory("worker")
    with pytest.raises(PermissionDenied):
        worker.top.compliance(key_worker_id=worker_id(manager, "worker2"))
    with pytest.raises(PermissionDenied):
        book_factory("nights").top.compliance()
    assert worker.top.compliance(key_worker_id=worker.actor.id).due == 0
    assert book_factory("admin").top.compliance().pct is None


def test_who_may_record_and_read(book_factory, resident) -> None:
    rid, _ = resident
    with pytest.raises(PermissionDenied):
        book_factory("nights").top.record(top_input(rid))
    with pytest.raises(PermissionDenied):
        book_factory("admin").top.for_resident(rid)
    book_factory("worker").top.record(top_input(rid))
    assert len(book_factory("nights").top.for_resident(rid)) == 1


def test_licensed_wording_is_read_from_the_units_own_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from keyworker.top import LICENSED_FILE, licensed_wording

    assert not LICENSED_FILE.exists()  # never shipped
    good = tmp_path / "top.json"
    good.write_text(json.dumps({"wording": {"psychological_health": "Licensed words", "opiates": "More"}}))
    assert licensed_wording.__wrapped__(good) == {"psychological_health": "Licensed words", "opiates": "More"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"wording": {"no_such_field": "x"}}))
    assert licensed_wording.__wrapped__(bad) == {}
    bad.write_text("not json")
    assert licensed_wording.__wrapped__(bad) == {}
    assert licensed_wording.__wrapped__(tmp_path / "missing.json") == {}

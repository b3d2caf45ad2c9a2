"""Follow-ups after a completed programme (issue 13; specification 4.1.8): the due list (most
overdue first, then the soonest; mine or the whole unit), the tries at reaching the person, the
status at follow-up with its rules in words (not contactable only after a try), the completion
rates over a period with the 3- and 6-month split, the count for check, who may do what, and the
audit trail."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from keyworker.audit_words import describe
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from tests.fixtures.caseload import last_audit
from tests.fixtures.follow_ups import discharged


@pytest.fixture
def unit(book_factory, clock: FixedClock):  # type: ignore[no-untyped-def]
    """Three former residents: Ann (discharged 05/01, 3 months due 05/04), Ben (20/01, due 20/04)
    and Cat (01/02, due 01/05, key worker Jo Second). Today is 15/04/2026."""
    manager = book_factory("manager")
    ann = discharged(manager, date(2026, 1, 5), given_name="Ann", family_name="Able")
    ben = discharged(manager, date(2026, 1, 20), given_name="Ben", family_name="Baker")
    cat = discharged(manager, date(2026, 2, 1), given_name="Cat", family_name="Cole", key_worker="worker2")
    clock.set(datetime(2026, 4, 15, 10, 0))
    return manager, ann, ben, cat


def at(day: int, month: int = 4, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LONDON)


# -- the due list ------------------------------------------------------------------------------
def test_due_lists_the_overdue_first_then_the_soonest(unit) -> None:  # type: ignore[no-untyped-def]
    manager, ann, ben, cat = unit
    rows = manager.follow_ups.due()
    assert [(r.resident_name, r.months, r.due_on) for r in rows] == [
        ("Ann Able", 3, date(2026, 4, 5)), ("Ben Baker", 3, date(2026, 4, 20))]
    assert rows[0].overdue and rows[0].days_overdue == 10 and not rows[1].overdue
    assert rows[0].discharged_on == date(2026, 1, 5) and rows[0].key_worker_name == "Sam Worker"
    assert rows[0].attempts == 0 and rows[0].last_attempt_text == "None yet"
    # Further ahead: Cat's 3-month one too; and on a later day, the 6-month ones.
    assert [r.resident_id for r in manager.follow_ups.due(include_future_days=30)] == [ann, ben, cat]
    later = manager.follow_ups.due("10/07/2026", 0)
    assert [(r.resident_id, r.months) for r in later] == [(ann, 3), (ben, 3), (cat, 3), (ann, 6)]


def test_a_key_worker_sees_their_own_former_residents_with_mine(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    _manager, ann, ben, cat = unit
    worker = book_factory("worker")
    assert {r.resident_id for r in worker.follow_ups.due(include_future_days=30, scope="mine")} == {ann, ben}
    assert {r.resident_id for r in worker.follow_ups.due(include_future_days=30)} == {ann, ben, cat}
    second = book_factory("worker2")
    assert [r.resident_id for r in second.follow_ups.due(include_future_days=30, scope="mine")] == [cat]


def test_due_refuses_bad_arguments_in_words(unit) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.due(include_future_days=-1)
    assert e.value.fields["include_future_days"] == "Days ahead must be between 0 and 366."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.due("31/02/2026")
    assert "on" in e.value.fields


# -- attempts ----------------------------------------------------------------------------------
def test_attempts_are_kept_in_order_and_shown_on_the_due_list(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, ann, _ben, _cat = unit
    worker = book_factory("worker")
    fid = manager.follow_ups.due()[0].id
    worker.follow_ups.record_attempt(fid, "phone", at(7), False, "No answer; left a voicemail.")
    view = worker.follow_ups.record_attempt(fid, "Letter", "09/04/2026 14:00", False)
    assert [(a.method_label, a.reached, a.by_name) for a in view.attempts] == [
        ("Phone", False, "Sam Worker"), ("Letter", False, "Sam Worker")]
    assert view.attempts[0].note == "No answer; left a voicemail." and view.open
    row = manager.follow_ups.due()[0]
    assert row.attempts == 2 and row.last_attempt_text == "Letter 09/04/2026, not reached"
    action, detail = last_audit(worker)[0]
    assert action == "follow_up.attempt" and detail == {"months": 3, "method": "letter", "reached": False}
    assert "voicemail" not in str(last_audit(worker, 3))  # the note stays out of the audit trail
    assert describe(action, detail).what == "3-month follow-up: a try at reaching the person recorded"


def test_attempt_refused_in_words(unit) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    fid = manager.follow_ups.due()[0].id
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_attempt(fid, "carrier pigeon", at(7), False)
    assert e.value.fields["method"].startswith("Choose one of: Phone, Text message")
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_attempt(fid, "phone", at(16), False)
    assert e.value.fields["at"] == "When cannot be in the future."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_attempt(fid, "phone", at(2, 1), False)
    assert e.value.fields["at"] == "This is before the discharge (05/01/2026): choose when you tried."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_attempt(fid, "phone", None, False)
    assert e.value.fields["at"] == "When is required."


# -- outcomes ----------------------------------------------------------------------------------
def test_done_needs_how_they_are_and_closes_the_follow_up(unit) -> None:  # type: ignore[no-untyped-def]
    manager, ann, _ben, _cat = unit
    fid = manager.follow_ups.due()[0].id
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "done")
    assert e.value.fields["outcome"] == "Say how they are at follow-up: abstinent, reduced use or relapsed."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "declined", "abstinent")
    assert e.value.fields["outcome"].startswith("How they are is recorded only when they were reached")
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "done", "sober")
    assert e.value.fields["outcome"] == "Choose one of: Abstinent, Reduced use, Relapsed."
    manager.follow_ups.record_attempt(fid, "phone", at(14), True)
    view = manager.follow_ups.record_outcome(fid, "done", "Reduced use", "Back at work; meetings twice a week.")
    assert (view.status, view.outcome, view.completed_on) == ("done", "reduced_use", date(2026, 4, 15))
    assert view.summary == "Done 15/04/2026: Reduced use" and not view.open
    assert [r.resident_id for r in manager.follow_ups.due()] != [ann] and fid not in {
        r.id for r in manager.follow_ups.due(include_future_days=60)}
    action, detail = last_audit(manager)[0]
    assert action == "follow_up.outcome" and detail == {"months": 3, "status": "done", "outcome": "reduced_use"}
    assert describe(action, detail).what == "3-month follow-up recorded as done"
    # Closed is closed: a second outcome says what was recorded.
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "declined")
    assert e.value.fields["status"] == "This 3-month follow-up was already recorded as done on 15/04/2026."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_attempt(fid, "phone", at(15), True)
    assert "already recorded as done" in e.value.fields["follow_up"]


def test_not_contactable_only_after_a_try(unit) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    fid = manager.follow_ups.due()[0].id
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "not_contactable")
    assert e.value.fields["status"] == ("Record at least one try at reaching them (how and when) before marking "
                                        "them not contactable.")
    manager.follow_ups.record_attempt(fid, "phone", at(8), False, "Number no longer in use")
    view = manager.follow_ups.record_outcome(fid, "Not contactable", completed_on="14/04/2026")
    assert view.status_label == "Not contactable" and view.completed_on == date(2026, 4, 14)


def test_declined_needs_no_try_and_dates_are_checked(unit) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    fid = manager.follow_ups.due()[0].id
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "declined", completed_on="16/04/2026")
    assert "completed_on" in e.value.fields
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "declined", completed_on="01/01/2026")
    assert e.value.fields["completed_on"] == "This is before the discharge (05/01/2026)."
    with pytest.raises(ValidationError) as e:
        manager.follow_ups.record_outcome(fid, "finished")
    assert e.value.fields["status"].startswith("Choose one of: Done: reached, Not contactable, Declined")
    assert manager.follow_ups.record_outcome(fid, "declined", note="Said they would rather not.").status == "declined"


def test_for_resident_shows_both_follow_ups_with_attempts_and_is_audited(unit) -> None:  # type: ignore[no-untyped-def]
    manager, ann, _ben, _cat = unit
    fid = manager.follow_ups.due()[0].id
    manager.follow_ups.record_attempt(fid, "text", at(10), False)
    views = manager.follow_ups.for_resident(ann)
    assert [(v.months, v.due_on, len(v.attempts), v.overdue) for v in views] == [
        (3, date(2026, 4, 5), 1, True), (6, date(2026, 7, 5), 0, False)]
    assert views[0].summary == "Due 05/04/2026 (overdue)" and views[1].label == "6-month follow-up"
    action, _detail = last_audit(manager)[0]
    assert action == "follow_up.history" and describe(action, {}).what == "Follow-ups looked at"


# -- rates -------------------------------------------------------------------------------------
def test_completion_rates_over_a_period_with_the_three_and_six_month_split(unit, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    manager, ann, ben, cat = unit
    clock.set(datetime(2026, 8, 10, 10, 0))
    by = {(v.resident_id, v.months): v.id for rid in (ann, ben, cat) for v in manager.follow_ups.for_resident(rid)}
    fu = manager.follow_ups
    fu.record_attempt(by[ann, 3], "phone", at(5), True)
    fu.record_outcome(by[ann, 3], "done", "abstinent", completed_on="05/04/2026")
    fu.record_attempt(by[ben, 3], "phone", at(20), True)
    fu.record_outcome(by[ben, 3], "done", "relapsed", completed_on="20/04/2026")
    fu.record_attempt(by[cat, 3], "letter", at(2, 5), False)
    fu.record_outcome(by[cat, 3], "not_contactable", completed_on="20/05/2026")
    fu.record_outcome(by[ann, 6], "declined", completed_on="05/07/2026")
    fu.record_attempt(by[ben, 6], "phone", at(21, 7), True)
    fu.record_outcome(by[ben, 6], "done", "abstinent", completed_on="21/07/2026")
    # Cat's 6-month one (due 01/08) is still open.
    rates = fu.completion("01/04/2026", date(2026, 8, 31))
    t = rates.total
    assert (t.due, t.done, t.not_contactable, t.declined, t.open) == (6, 3, 1, 1, 1)
    assert (t.done_pct, t.not_contactable_pct, t.declined_pct, t.open_pct) == (50.0, 16.7, 16.7, 16.7)
    assert (t.abstinent, t.reduced_use, t.relapsed) == (2, 0, 1)
    assert (t.abstinent_pct, t.relapsed_pct) == (66.7, 33.3)
    three, six = rates.months(3), rates.months(6)
    assert (three.due, three.done, three.not_contactable, three.declined, three.open) == (3, 2, 1, 0, 0)
    assert (six.due, six.done, six.not_contactable, six.declined, six.open) == (3, 1, 0, 1, 1)
    assert six.abstinent == 1 and three.relapsed == 1
    # The period is by due date: April alone has Ann's and Ben's 3-month ones only.
    april = fu.completion("01/04/2026", "30/04/2026")
    assert (april.total.due, april.total.done_pct, april.months(6).due, april.months(6).done_pct) == (2, 100.0, 0, None)
    with pytest.raises(ValidationError) as e:
        fu.completion("30/04/2026", "01/04/2026")
    assert e.value.fields["end"] == "The end date is before the start date."


# -- check, permissions --------------------------------------------------------------------------
def test_check_counts_follow_ups_due_today_or_before(unit, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    assert manager.check(integrity=False)["follow_ups_due"] == 1  # Ann's, due 05/04
    clock.set(datetime(2026, 4, 20, 9, 0))
    assert manager.check(integrity=False)["follow_ups_due"] == 2
    fid = manager.follow_ups.due()[0].id
    manager.follow_ups.record_outcome(fid, "declined")
    assert manager.check(integrity=False)["follow_ups_due"] == 1


def test_who_may_do_what(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager = unit[0]
    fid = manager.follow_ups.due()[0].id
    nights = book_factory("nights")
    assert len(nights.follow_ups.due()) == 2  # night staff see the list...
    with pytest.raises(PermissionDenied):  # ...but the calls are the key worker's, in the day
        nights.follow_ups.record_attempt(fid, "phone", at(14), False)
    with pytest.raises(PermissionDenied):
        nights.follow_ups.record_outcome(fid, "declined")
    worker = book_factory("worker")
    with pytest.raises(PermissionDenied):
        worker.follow_ups.completion("01/04/2026", "30/04/2026")
    admin = book_factory("admin")
    assert admin.follow_ups.completion("01/04/2026", "30/04/2026").total.due == 2  # numbers only
    with pytest.raises(PermissionDenied):
        admin.follow_ups.due()


def test_an_unplanned_discharge_schedules_no_follow_ups(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from keyworker.discharges import UnplannedDischargeInput
    from tests.fixtures.caseload import admit

    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    rec = admit(manager)
    manager.discharges.record_unplanned(UnplannedDischargeInput(
        rec.id, "self_discharge", datetime(2026, 1, 5, 14, 0, tzinfo=LONDON), "Left after a phone call."))
    assert manager.follow_ups.for_resident(rec.id) == []
    clock.set(datetime(2026, 8, 1, 9, 0))
    assert manager.follow_ups.due(include_future_days=0) == []

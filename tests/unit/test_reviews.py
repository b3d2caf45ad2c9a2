"""Reviews: what is due with an injected clock, recording (goal progress, plan changes as a new
version, the next date and its reason), the referrer at mid-way and pre-discharge meetings,
corrections, my work, counts, permissions and audit."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from keyworker import review_schedule as rs
from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.reviews import Attendee, GoalProgress, Invitation, ReviewInput
from tests.unit.care_helpers import admit, assess_risk, full_content

ADMITTED = date(2026, 1, 5)


def _set_today(clock, d: date) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(d.year, d.month, d.day, 10, 0))


def _planned(book: Casebook, **kw):  # type: ignore[no-untyped-def]
    rid, aid = admit(book, **kw)
    view = book.care_plans.save_draft(aid, full_content())
    assess_risk(book, aid)
    return rid, aid, book.care_plans.mark_complete(view.plan_id)


def _review(aid: str, held: date, **kw) -> ReviewInput:  # type: ignore[no-untyped-def]
    kw.setdefault("next_review_on", held + timedelta(days=14))
    kw.setdefault("resident_view", "Feeling settled, wants more gym time.")
    kw.setdefault("attendees", [Attendee("Dana Whitfield", "resident"), Attendee("Sam Worker", "key_worker")])
    return ReviewInput(admission_id=aid, held_on=held, **kw)


def test_due_on_admission_day_and_at_the_14_day_boundary(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book, admitted_on=ADMITTED)
    assert worker_book.reviews.due("unit") == []  # due 19 Jan: more than 7 days away
    assert worker_book.reviews.due("unit", include_later=True)[0].due_on == date(2026, 1, 19)
    nxt = worker_book.reviews.next_for(aid)
    assert (nxt.due_on, nxt.status, nxt.last_review_on) == (date(2026, 1, 19), rs.LATER, None)
    _set_today(clock, date(2026, 1, 12))
    assert [d.status for d in worker_book.reviews.due()] == [rs.DUE_THIS_WEEK]
    _set_today(clock, date(2026, 1, 19))  # exactly 14 days
    assert [(d.status, d.days_overdue) for d in worker_book.reviews.due()] == [(rs.DUE_TODAY, 0)]
    _set_today(clock, date(2026, 1, 20))
    assert [(d.status, d.days_overdue) for d in worker_book.reviews.due()] == [(rs.OVERDUE, 1)]
    with worker_book._read() as s:
        assert worker_book.reviews.counts(s) == {"reviews_due_7d": 0, "reviews_overdue": 1}


def test_after_a_review_the_next_is_due_on_the_agreed_date(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    review = worker_book.reviews.record(_review(aid, date(2026, 1, 16), next_review_on=date(2026, 1, 28)))
    assert review.kind == rs.REGULAR and review.warnings == ()
    nxt = worker_book.reviews.next_for(aid)
    assert (nxt.due_on, nxt.last_review_on, nxt.status) == (date(2026, 1, 28), date(2026, 1, 16), rs.LATER)
    _set_today(clock, date(2026, 1, 30))
    assert worker_book.reviews.next_for(aid).status == rs.OVERDUE


def test_next_review_more_than_14_days_later_needs_a_reason(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.record(_review(aid, date(2026, 1, 16), next_review_on=date(2026, 1, 31)))
    assert "next_review_reason" in e.value.fields and "30/01/2026" in e.value.fields["next_review_reason"]
    # exactly 14 days is allowed without a reason
    worker_book.reviews.record(_review(aid, date(2026, 1, 16), next_review_on=date(2026, 1, 30)))
    r = worker_book.reviews.record(_review(aid, date(2026, 1, 16), next_review_on=date(2026, 2, 3),
                                           next_review_reason="Resident on home leave 28 Jan to 2 Feb"))
    assert r.next_review_reason.startswith("Resident on home leave")


def test_review_input_is_validated(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.record(_review(aid, date(2026, 1, 17), resident_view=" ", attendees=[]))
    assert {"held_on", "resident_view", "attendees"} <= set(e.value.fields)
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.record(_review(aid, date(2026, 1, 2)))
    assert "held_on" in e.value.fields
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.record(_review(aid, date(2026, 1, 16), goal_progress=[GoalProgress("nope", "achieved")]))
    assert "goal_progress" in e.value.fields


def test_goal_progress_and_plan_changes_make_a_new_plan_version(worker_book: Casebook, clock) -> None:
    _, aid, plan = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    g1, g2 = plan.content.goals
    changed = plan.content.copy()
    changed.set("follow_ups", "arrangements", "Video calls by the aftercare worker.")
    review = worker_book.reviews.record(_review(
        aid, date(2026, 1, 16), goal_progress=[GoalProgress(g1.id, "in_progress", "Attending groups"),
                                               GoalProgress(g2.id, "not_started", "")],
        plan_changes=changed, change_reason="Agreed at review"))
    assert review.plan_version_number == 2
    after = worker_book.care_plans.get(admission_id=aid)
    assert after.version.id == review.plan_version_id and after.version.review_id == review.id
    assert after.version.reason == "Agreed at review"
    assert after.content.goal(g1.id).status == "in_progress"
    assert after.content.value("follow_ups", "arrangements") == "Video calls by the aftercare worker."
    diff = worker_book.care_plans.diff(plan.version.id, review.plan_version_id)
    assert [c.key for c in diff] == ["goals", "follow_ups"]
    # progress only, no status change: no new version
    r2 = worker_book.reviews.record(_review(aid, date(2026, 1, 16),
                                            goal_progress=[GoalProgress(g1.id, "in_progress", "Still going")]))
    assert r2.plan_version_id is None
    assert worker_book.care_plans.get(admission_id=aid).version.number == 2
    history = worker_book.reviews.history(aid)
    assert [h.id for h in history] == [r2.id, review.id]
    assert history[1].goal_progress[0] == GoalProgress(g1.id, "in_progress", "Attending groups")
    assert history[1].plan_version_number == 2 and history[1].recorded_by_name == "Sam Worker"


def test_midway_review_is_marked_and_warns_when_the_referrer_was_not_invited(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book, planned_weeks=12)  # mid-way 16 Feb
    for held in (date(2026, 1, 19), date(2026, 2, 2)):
        _set_today(clock, held)
        assert worker_book.reviews.record(_review(aid, held)).kind == rs.REGULAR
    _set_today(clock, date(2026, 2, 10))
    due = worker_book.reviews.next_for(aid)
    assert due.kind == rs.MIDWAY and due.referrer_must_be_invited and due.due_on == date(2026, 2, 16)
    _set_today(clock, date(2026, 2, 16))
    kind, warnings = worker_book.reviews.preview(_review(aid, date(2026, 2, 16)))
    assert kind == rs.MIDWAY and any("referrer was not invited" in w for w in warnings)
    assert len(worker_book.reviews.history(aid)) == 2  # preview wrote nothing
    r = worker_book.reviews.record(_review(aid, date(2026, 2, 16)))
    assert r.kind == rs.MIDWAY and not r.referrer_invited
    assert any("referrer was not invited" in w for w in r.warnings)
    # the next one is regular again; the pre-discharge meeting (from 16 Mar) is marked later
    assert worker_book.reviews.next_for(aid).kind == rs.REGULAR


def test_invitation_letter_is_kept_and_counts_as_inviting_the_referrer(worker_book: Casebook, clock) -> None:
    rid, aid, _ = _planned(worker_book, planned_weeks=12)
    _set_today(clock, date(2026, 3, 2))
    # no mid-way review was held, so the schedule would make this one the mid-way: ask for the other
    made = worker_book.reviews.invitation_letter(aid, date(2026, 3, 16), kind=rs.PRE_DISCHARGE, meeting_time="10:30")
    doc, inv = made.document, made.invitation
    assert doc.kind == "review_invitation" and doc.subject_id == aid and doc.resident_id == rid
    assert "pre-discharge planning meeting" in doc.title
    assert (inv.name, inv.role, inv.invited_on) == ("Priya Shah", "referrer", date(2026, 3, 2))
    assert worker_book.documents.list(resident_id=rid, kind="review_invitation") == []  # a preview only
    kept = worker_book.documents.keep(doc, "send")
    assert [d.id for d in worker_book.documents.list(resident_id=rid, kind="review_invitation")] == [kept.id]
    _set_today(clock, date(2026, 3, 16))
    r = worker_book.reviews.record(_review(aid, date(2026, 3, 16), kind=rs.PRE_DISCHARGE,
                                           invitations=[Invitation("Mary Whitfield", "family", date(2026, 3, 13),
                                                                   "phone")]))
    assert r.kind == rs.PRE_DISCHARGE
    assert not any("referrer" in w for w in r.warnings)
    assert any("Mary Whitfield (family member) had only 3 days notice" in w for w in r.warnings)
    assert r.invitations[0].notice_days == 3


def test_referrer_invitation_recorded_on_the_review_satisfies_the_rule(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book, planned_weeks=12)
    _set_today(clock, date(2026, 2, 16))
    r = worker_book.reviews.record(_review(aid, date(2026, 2, 16), kind=rs.MIDWAY,
                                           invitations=[Invitation("Priya Shah", "referrer", date(2026, 2, 2))],
                                           attendees=[Attendee("Dana Whitfield", "resident"),
                                                      Attendee("Priya Shah", "referrer", remote=True)]))
    assert r.referrer_invited
    # no referrer warning; this admission had no earlier review, so it was late
    assert r.warnings == ("This review was 28 days late (due 19/01/2026).",)
    assert r.attendees[1].remote


def test_correction_supersedes_and_the_schedule_follows_it(worker_book: Casebook, clock) -> None:
    _, aid, _ = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    first = worker_book.reviews.record(_review(aid, date(2026, 1, 16), next_review_on=date(2026, 1, 30)))
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.record(_review(aid, date(2026, 1, 16), supersedes_id=first.id))
    assert "correction_reason" in e.value.fields
    fixed = worker_book.reviews.record(_review(aid, date(2026, 1, 15), next_review_on=date(2026, 1, 27),
                                               supersedes_id=first.id, correction_reason="Wrong date entered"))
    assert fixed.supersedes_id == first.id
    assert [h.id for h in worker_book.reviews.history(aid)] == [fixed.id]
    everything = worker_book.reviews.history(aid, include_superseded=True)
    assert {h.id: h.superseded_by_id for h in everything} == {fixed.id: None, first.id: fixed.id}
    assert worker_book.reviews.next_for(aid).due_on == date(2026, 1, 27)
    with pytest.raises(ValidationError):
        worker_book.reviews.record(_review(aid, date(2026, 1, 16), supersedes_id=first.id, correction_reason="x"))


def test_due_list_scope_my_work_and_counts(book_factory, clock) -> None:
    worker = book_factory("worker")
    _, a1 = admit(worker, admitted_on=date(2025, 12, 1), given="Ann")          # due 15 Dec: overdue
    _, a2 = admit(worker, admitted_on=date(2025, 12, 24), given="Bea")         # due 7 Jan: this week
    _, a3 = admit(worker, admitted_on=date(2026, 1, 5), given="Cal")           # due 19 Jan: later, plan missing
    _, a4 = admit(worker, admitted_on=date(2025, 12, 22), given="Dee", key_worker="worker2")  # due today
    for aid in (a1, a2, a4):
        assess_risk(worker, aid)
        worker.care_plans.mark_complete(worker.care_plans.save_draft(aid, full_content()).plan_id)
    unit = worker.reviews.due("unit")
    assert [(d.resident_name, d.status) for d in unit] == [
        ("Ann Whitfield", rs.OVERDUE), ("Dee Whitfield", rs.DUE_TODAY), ("Bea Whitfield", rs.DUE_THIS_WEEK)]
    assert unit[0].days_overdue == 21 and unit[0].key_worker_name == "Sam Worker"
    mine = worker.reviews.due("mine")
    assert [d.resident_name for d in mine] == ["Ann Whitfield", "Bea Whitfield"]
    work = worker.reviews.my_work()
    assert [d.admission_id for d in work.reviews_overdue] == [a1]
    assert [d.admission_id for d in work.reviews_due_this_week] == [a2]
    assert [(p.admission_id, p.overdue) for p in work.plans_incomplete] == [(a3, False)]
    other = book_factory("worker2").reviews.my_work()
    assert [d.admission_id for d in other.reviews_due_this_week] == [a4] and other.plans_incomplete == ()
    with worker._read() as s:
        assert worker.reviews.counts(s) == {"reviews_due_7d": 2, "reviews_overdue": 1}
    report = worker.check(integrity=False)
    assert report["reviews_due_7d"] == 2 and report["reviews_overdue"] == 1 and report["care_plans_incomplete"] == 0


def test_out_of_hours_reads_the_reviews_but_does_not_hold_them(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    """The fortnightly review is a daytime meeting with the key worker (docs/PERMISSIONS.md)."""
    worker = book_factory("worker")
    _, aid, plan = _planned(worker)
    _set_today(clock, date(2026, 1, 16))
    worker.reviews.record(_review(aid, date(2026, 1, 9)))
    nights = book_factory("nights")
    g1 = plan.content.goals[0]
    assert [r.held_on for r in nights.reviews.history(aid)] == [date(2026, 1, 9)]
    with pytest.raises(PermissionDenied):
        nights.reviews.record(_review(aid, date(2026, 1, 16),
                                      goal_progress=[GoalProgress(g1.id, "achieved", "Reported by resident")],
                                      apply_goal_status=False))
    with pytest.raises(PermissionDenied):
        nights.reviews.invitation_letter(aid, date(2026, 1, 23))
    assert len(worker.reviews.history(aid)) == 1  # nothing written


def test_review_audit_has_no_health_text(worker_book: Casebook, clock) -> None:
    rid, aid, plan = _planned(worker_book)
    _set_today(clock, date(2026, 1, 16))
    g1 = plan.content.goals[0]
    worker_book.reviews.record(_review(aid, date(2026, 1, 16), summary="Disclosed a lapse on home leave",
                                       goal_progress=[GoalProgress(g1.id, "in_progress", "Lapse on leave")]))
    worker_book.reviews.history(aid)
    with worker_book._read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("review.%")).order_by(AuditEntry.seq)))
        revise = s.scalars(select(AuditEntry).where(AuditEntry.action == "care_plan.revise")).one()
    assert [r.action for r in rows] == ["review.record", "review.history"]
    assert all(r.resident_id == rid for r in rows)
    detail = json.loads(rows[0].detail)
    assert detail == {"kind": "regular", "held_on": "2026-01-16", "goals_updated": 1, "plan_version": 2}
    assert json.loads(revise.detail)["sections"] == ["goals"]
    text = " ".join(r.detail for r in rows) + revise.detail
    assert "apse" not in text and "gym" not in text


def test_demo_plans_are_valid_readable_and_added_once(worker_book: Casebook, clock) -> None:
    from sqlalchemy import func

    from keyworker.care_plans import PlanContent, missing_sections
    from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review
    from keyworker.demo.care_plans import add_plans_and_reviews
    from keyworker.demo.risk import add_assessments

    _set_today(clock, date(2026, 3, 2))
    aids = [admit(worker_book, admitted_on=date(2026, 3, 2) - timedelta(days=d), given=f"P{d}")[1]
            for d in (1, 20, 45, 70, 90)]
    aids.append(admit(worker_book, admitted_on=date(2026, 1, 10), given="Ethel", ethnicity=None)[1])
    add_assessments(worker_book, seed=3)  # a plan is complete only with a risk assessment
    add_plans_and_reviews(worker_book, seed=3)
    with worker_book._read() as s:
        plans = {p.admission_id: p for p in s.scalars(select(CarePlan))}
        n_reviews = s.scalar(select(func.count()).select_from(Review))
        contents = {p.admission_id: PlanContent.from_json(s.get(CarePlanVersion, p.current_version_id).content)
                    for p in plans.values()}
    assert set(plans) == set(aids)
    assert plans[aids[-1]].status == "draft"  # no ethnicity on the record: cannot be complete
    assert plans[aids[0]].status == plans[aids[1]].status == "draft"  # the two latest admissions
    for aid, p in plans.items():
        if p.status == "complete":
            assert missing_sections(contents[aid]) == []
    assert n_reviews > 10
    history = worker_book.reviews.history(aids[4])
    assert history and all(h.next_review_on > h.held_on for h in history)
    goal_ids = {g.id for g in contents[aids[4]].goals}
    assert all(gp.goal_id in goal_ids for h in history for gp in h.goal_progress)
    assert worker_book.audit.verify().ok
    add_plans_and_reviews(worker_book, seed=3)  # a second run adds nothing
    with worker_book._read() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == n_reviews

"""The referrer at the mid-way and pre-discharge meetings (contract 4.1.5.7): a meeting recorded
without them invited stays flagged (on the review and in the unit's list) until it is put right,
and the schedule around the mid-way review and the planned end of the placement."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from keyworker import review_schedule as rs
from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.errors import ValidationError
from keyworker.reviews import Attendee, Invitation, ReferrerFollowUp, ReviewInput
from tests.unit.care_helpers import admit, assess_risk, full_content

ADMITTED = date(2026, 1, 5)  # 12 weeks: mid-way 16/02, pre-discharge from 16/03, planned end 30/03


def _today(clock, d: date) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(d.year, d.month, d.day, 10, 0))


def _review(aid: str, held: date, **kw) -> ReviewInput:  # type: ignore[no-untyped-def]
    kw.setdefault("next_review_on", held + timedelta(days=14))
    kw.setdefault("resident_view", "Settled.")
    kw.setdefault("attendees", [Attendee("Dana Whitfield", "resident")])
    return ReviewInput(admission_id=aid, held_on=held, **kw)


def _planned(book: Casebook, **kw) -> str:  # type: ignore[no-untyped-def]
    _, aid = admit(book, **kw)
    assess_risk(book, aid)
    book.care_plans.mark_complete(book.care_plans.save_draft(aid, full_content()).plan_id)
    return aid


def _midway_without_referrer(book: Casebook, clock, aid: str) -> str:  # type: ignore[no-untyped-def]
    _today(clock, date(2026, 2, 16))
    return book.reviews.record(_review(aid, date(2026, 2, 16), kind=rs.MIDWAY)).id


def test_a_midway_review_without_the_referrer_is_flagged_until_put_right(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    worker = book_factory("worker")
    aid = _planned(worker)
    other = _planned(worker, given="Kim", family="Other", key_worker="worker2")
    review_id = _midway_without_referrer(worker, clock, aid)
    worker.reviews.record(_review(other, date(2026, 2, 16), kind=rs.MIDWAY))
    shown = worker.reviews.history(aid)[0]
    assert shown.referrer_flag and not shown.referrer_invited and shown.referrer_followup is None
    mine = worker.reviews.referrer_flags("mine")
    assert [(f.review_id, f.resident_name, f.kind_label, f.held_on) for f in mine] == [
        (review_id, "Dana Whitfield", "Mid-way review", date(2026, 2, 16))]
    assert len(worker.reviews.referrer_flags("unit")) == 2  # a senior sees the whole unit's

    _today(clock, date(2026, 2, 18))
    fixed = worker.reviews.put_right_referrer(ReferrerFollowUp(review_id, "informed", date(2026, 2, 17), "phone",
                                                               "Rang Priya; sent the review notes."))
    assert not fixed.referrer_flag
    assert fixed.referrer_followup is not None
    assert fixed.referrer_followup.summary == "The referrer was told the outcome on 17/02/2026 by phone"
    assert fixed.referrer_followup.recorded_by_name == "Sam Worker"
    assert worker.reviews.referrer_flags("mine") == []
    again = worker.reviews.history(aid)[0]
    assert not again.referrer_flag and again.referrer_followup == fixed.referrer_followup
    with worker._read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "review.referrer_followup")).one()
    assert entry.entity_id == review_id and "Priya" not in str(entry.detail)  # the note stays out of the audit

    with pytest.raises(ValidationError) as e:  # once only
        worker.reviews.put_right_referrer(ReferrerFollowUp(review_id, "informed", date(2026, 2, 17)))
    assert "already been put right" in str(e.value)


@pytest.mark.parametrize(("action", "on", "field", "words"), [
    ("invited", date(2026, 2, 17), "date_done", "before the meeting"),   # an invitation after the meeting
    ("informed", date(2026, 2, 15), "date_done", "after the meeting"),   # told before it was held
    ("informed", date(2026, 2, 19), "date_done", "future"),
    ("posted", date(2026, 2, 17), "action", "Choose what was done"),
])
def test_putting_it_right_is_checked(worker_book: Casebook, clock, action: str, on: date, field: str,  # type: ignore[no-untyped-def]
                                     words: str) -> None:
    review_id = _midway_without_referrer(worker_book, clock, _planned(worker_book))
    _today(clock, date(2026, 2, 18))
    with pytest.raises(ValidationError) as e:
        worker_book.reviews.put_right_referrer(ReferrerFollowUp(review_id, action, on))
    assert field in e.value.fields and words in e.value.fields[field]
    ok = worker_book.reviews.put_right_referrer(ReferrerFollowUp(review_id, "invited", date(2026, 2, 2), "email"))
    assert ok.referrer_followup is not None and ok.referrer_followup.summary.startswith("The referrer was invited on")


def test_nothing_to_put_right_when_the_referrer_was_invited(worker_book: Casebook, clock) -> None:
    aid = _planned(worker_book)
    _today(clock, date(2026, 2, 2))
    regular = worker_book.reviews.record(_review(aid, date(2026, 2, 2)))
    assert not regular.referrer_flag
    # an invitation letter sent for the meeting counts as inviting them
    worker_book.documents.keep(worker_book.reviews.invitation_letter(aid, date(2026, 2, 16)).document, "send")
    _today(clock, date(2026, 2, 16))
    midway = worker_book.reviews.record(_review(aid, date(2026, 2, 16)))
    assert midway.kind == rs.MIDWAY and midway.referrer_invited and not midway.referrer_flag
    assert worker_book.reviews.referrer_flags() == []
    for rid in (regular.id, midway.id):
        with pytest.raises(ValidationError) as e:
            worker_book.reviews.put_right_referrer(ReferrerFollowUp(rid, "informed", date(2026, 2, 16)))
        assert "nothing to put right" in str(e.value)


def test_a_correction_that_records_the_invitation_clears_the_flag(worker_book: Casebook, clock) -> None:
    aid = _planned(worker_book)
    review_id = _midway_without_referrer(worker_book, clock, aid)
    fixed = worker_book.reviews.record(_review(aid, date(2026, 2, 16), kind=rs.MIDWAY, supersedes_id=review_id,
                                               correction_reason="The invitation was left off",
                                               invitations=[Invitation("Priya Shah", "referrer", date(2026, 2, 2))]))
    assert fixed.referrer_invited and not fixed.referrer_flag
    assert worker_book.reviews.referrer_flags() == []
    with pytest.raises(ValidationError) as e:  # the old one is no longer the record
        worker_book.reviews.put_right_referrer(ReferrerFollowUp(review_id, "informed", date(2026, 2, 16)))
    assert "corrected" in str(e.value)


def test_a_correction_keeps_how_it_was_put_right(worker_book: Casebook, clock) -> None:
    aid = _planned(worker_book)
    review_id = _midway_without_referrer(worker_book, clock, aid)
    worker_book.reviews.put_right_referrer(ReferrerFollowUp(review_id, "informed", date(2026, 2, 16), "email"))
    fixed = worker_book.reviews.record(_review(aid, date(2026, 2, 16), kind=rs.MIDWAY, supersedes_id=review_id,
                                               correction_reason="Wrong view recorded", resident_view="Halfway!"))
    assert not fixed.referrer_flag and fixed.referrer_followup is not None
    assert worker_book.reviews.referrer_flags() == []


def test_a_missed_midway_review_is_offered_before_the_pre_discharge_meeting(worker_book: Casebook, clock) -> None:
    aid = _planned(worker_book)
    for held in (date(2026, 1, 19), date(2026, 2, 2)):
        _today(clock, held)
        worker_book.reviews.record(_review(aid, held, kind=rs.REGULAR))
    # the review due 16/02 was held as a regular one (the key worker chose so), and the next ones too
    for held in (date(2026, 2, 16), date(2026, 3, 2)):
        _today(clock, held)
        worker_book.reviews.record(_review(aid, held, kind=rs.REGULAR))
    _today(clock, date(2026, 3, 10))
    nxt = worker_book.reviews.next_for(aid)  # due 16/03, the pre-discharge date: the mid-way comes first
    assert (nxt.due_on, nxt.kind) == (date(2026, 3, 16), rs.MIDWAY)
    assert [d.kind for d in worker_book.reviews.due()] == [rs.MIDWAY]
    _today(clock, date(2026, 3, 16))
    assert worker_book.reviews.record(_review(aid, date(2026, 3, 16), next_review_on=date(2026, 3, 23),
                                              invitations=[Invitation("Priya Shah", "referrer",
                                                                      date(2026, 3, 2))])).kind == rs.MIDWAY
    assert worker_book.reviews.next_for(aid).kind == rs.PRE_DISCHARGE


def test_the_review_nearest_half_way_is_the_midway_review(worker_book: Casebook, clock) -> None:
    """Reviews on 16/01, 30/01 and due 13/02: 3 days before the mid-way date (16/02), nearer than
    the one after (27/02), so 13/02 is the mid-way review."""
    aid = _planned(worker_book)
    for held in (date(2026, 1, 16), date(2026, 1, 30)):
        _today(clock, held)
        assert worker_book.reviews.record(_review(aid, held)).kind == rs.REGULAR
    nxt = worker_book.reviews.next_for(aid)
    assert (nxt.due_on, nxt.kind) == (date(2026, 2, 13), rs.MIDWAY)


def test_a_next_review_after_the_planned_end_says_so_and_suggests_the_discharge_meeting(  # type: ignore[no-untyped-def]
        worker_book: Casebook, clock) -> None:
    aid = _planned(worker_book)
    _today(clock, date(2026, 3, 23))
    late = _review(aid, date(2026, 3, 23), kind=rs.REGULAR, next_review_on=date(2026, 4, 6))
    _kind, warnings = worker_book.reviews.preview(late)
    advice = ("The next review (06/04/2026) is after the planned end of the placement (30/03/2026): "
              "plan the discharge meeting for 30/03/2026 instead, or record the longer stay first.")
    assert advice in warnings
    assert advice in worker_book.reviews.record(late).warnings
    due = worker_book.reviews.next_for(aid)
    assert due.after_planned_end and due.planned_end_on == date(2026, 3, 30)
    on_the_day = _review(aid, date(2026, 3, 23), kind=rs.REGULAR, next_review_on=date(2026, 3, 30))
    assert not any("planned end" in w for w in worker_book.reviews.preview(on_the_day)[1])


def test_the_upgrade_flags_earlier_meetings_held_without_the_referrer(db_path, clock) -> None:  # type: ignore[no-untyped-def]
    """A unit from before the flag: its mid-way and pre-discharge meetings without the referrer
    invited (no invitation recorded, no letter sent) are flagged when it is upgraded."""
    from alembic import command

    from keyworker.db import migrate
    from keyworker.db.engine import make_engine
    from keyworker.security.vault import Vault, vault_path_for
    from tests.conftest import STAFF_PW, open_as

    book = open_as(db_path, "worker", clock)
    bare, invited, lettered = (_planned(book, given=g) for g in ("Ann", "Bea", "Cal"))
    _today(clock, date(2026, 2, 2))
    book.documents.keep(book.reviews.invitation_letter(lettered, date(2026, 2, 16)).document, "send")
    _today(clock, date(2026, 2, 16))
    for aid in (bare, invited, lettered):
        invitations = [Invitation("Priya Shah", "referrer", date(2026, 2, 2))] if aid == invited else []
        book.reviews.record(_review(aid, date(2026, 2, 16), kind=rs.MIDWAY, invitations=invitations))
    book.reviews.record(_review(bare, date(2026, 2, 16), kind=rs.REGULAR, next_review_on=date(2026, 3, 1)))
    book.close()

    key = Vault.load(vault_path_for(db_path)).unlock("worker", STAFF_PW, clock)
    engine = make_engine(db_path, key)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate._config(conn), "0006_letters")
    finally:
        engine.dispose()
    book = open_as(db_path, "worker", clock)  # upgraded on open
    flags = book.reviews.referrer_flags()
    assert [f.admission_id for f in flags] == [bare]
    assert [h.referrer_invited for h in book.reviews.history(invited)] == [True]
    assert [h.referrer_invited for h in book.reviews.history(lettered)] == [True]
    book.close()


def test_demo_meetings_without_the_referrer_are_flagged_or_put_right(worker_book: Casebook, clock) -> None:
    """The demo's mid-way and pre-discharge meetings without the referrer invited carry the flag
    (most of them put right), and no review before the planned end sets a date after it."""
    from keyworker.db.care_plans import Review
    from keyworker.db.caseload import Admission
    from keyworker.demo.care_plans import add_plans_and_reviews
    from keyworker.demo.risk import add_assessments

    _today(clock, date(2026, 6, 1))
    for n in range(24):
        admit(worker_book, admitted_on=date(2026, 6, 1) - timedelta(days=40 + 5 * n), given=f"P{n}",
              planned_weeks=12 + n % 3)
    add_assessments(worker_book, seed=5)  # a plan is complete only with a risk assessment
    add_plans_and_reviews(worker_book, seed=5)
    with worker_book._read() as s:
        rows = s.execute(select(Review, Admission).join(Admission, Admission.id == Review.admission_id)).all()
    meetings = [r for r, _a in rows if r.kind in rs.REFERRER_KINDS]
    without = [r for r in meetings if "referrer" not in r.invitations]
    assert without and all(r.referrer_missing for r in without)
    assert not any(r.referrer_missing for r, _a in rows if r not in without)
    assert any(r.referrer_followup for r in without) and any(not r.referrer_followup for r in without)
    assert worker_book.reviews.referrer_flags("unit")  # Today has something to show
    for r, a in rows:
        end = rs.planned_end(a.admitted_on, a.planned_weeks)
        assert not (r.held_on < end < r.next_review_on), "the discharge meeting is on the planned end"
    put_right = next(r for r in without if r.referrer_followup)
    shown = next(h for h in worker_book.reviews.history(put_right.admission_id) if h.id == put_right.id)
    assert shown.referrer_followup is not None and shown.referrer_followup.recorded_by_name == "Sam Worker"

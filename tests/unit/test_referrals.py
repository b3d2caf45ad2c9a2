"""Referrals on a real encrypted database: deadline flags, decisions, the decline letter, admission."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import AuditEntry
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.residents import ResidentInput
from tests.fixtures.caseload import (
    accepted_referral,
    admission_input,
    admit,
    last_audit,
    referral_input,
    resident_input,
    worker_id,
)


def test_record_sets_the_deadline_and_audits(worker_book: Casebook) -> None:
    r = worker_book.referrals.record(referral_input(received_at=datetime(2026, 1, 2, 10, tzinfo=LONDON)))
    assert r.status == "open"
    assert r.decision_due_on == date(2026, 1, 9)
    assert r.working_days_left == 4 and not r.near_deadline and not r.overdue  # today is Mon 5 Jan
    assert last_audit(worker_book)[0][0] == "referral.create"


def test_validate_without_saving_gives_messages_by_field(worker_book: Casebook) -> None:
    errors = worker_book.referrals.validate(
        {"received_at": "tomorrow", "category": "urgent", "referrer_email": "not-an-email"}
    )
    assert {
        "received_at",
        "given_name",
        "family_name",
        "referrer_name",
        "community_treatment_provider",
        "category",
        "assessment_summary",
        "referrer_email",
    } <= set(errors)
    assert worker_book.referrals.list_open() == []
    with pytest.raises(ValidationError) as e:
        worker_book.referrals.record(referral_input(received_at=datetime(2026, 1, 6, 9, tzinfo=LONDON)))
    assert "future" in e.value.fields["received_at"]


def test_near_and_overdue_flags_follow_the_clock(worker_book: Casebook, clock: FixedClock) -> None:
    # Received Thursday before Easter: due Monday 13 April.
    clock.set(datetime(2026, 4, 2, 12, 0))
    worker_book.referrals.record(referral_input(received_at=datetime(2026, 4, 2, 9, tzinfo=LONDON)))
    [r] = worker_book.referrals.list_open()
    assert r.decision_due_on == date(2026, 4, 13) and r.working_days_left == 5
    clock.set(datetime(2026, 4, 10, 9, 0))
    [r] = worker_book.referrals.list_open()
    assert r.near_deadline and not r.overdue and r.working_days_left == 1
    clock.set(datetime(2026, 4, 14, 9, 0))
    [r] = worker_book.referrals.list_open()
    assert r.overdue and not r.near_deadline and r.working_days_left == -1
    check = worker_book.check(integrity=False)
    assert check["referrals_open"] == 1 and check["referrals_decision_overdue"] == 1


def test_key_worker_cannot_decide(worker_book: Casebook) -> None:
    r = worker_book.referrals.record(referral_input())
    with pytest.raises(PermissionDenied):
        worker_book.referrals.accept(r.id)
    with pytest.raises(PermissionDenied):
        worker_book.referrals.decline(r.id, "risk", "The risk cannot be managed in the unit at present.")


def test_out_of_hours_cannot_record(book_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        book_factory("nights").referrals.record(referral_input())


def test_decline_needs_written_reasons(manager_book: Casebook) -> None:
    r = manager_book.referrals.record(referral_input())
    with pytest.raises(ValidationError) as e:
        manager_book.referrals.decline(r.id, "", "no")
    assert set(e.value.fields) == {"category", "reason"}
    assert manager_book.referrals.get(r.id).status == "open"


def test_decline_letter_pdf_has_reasons_and_referrer(manager_book: Casebook) -> None:
    r = manager_book.referrals.record(referral_input(referrer_name="Pat Fielding"))
    reason = "The risk history described cannot be managed safely alongside the current residents."
    d = manager_book.referrals.decline(r.id, "risk", reason)
    assert d.status == "declined" and d.decline_letter_id and d.decided_within_deadline
    pdf = manager_book.documents.content(d.decline_letter_id)
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "Pat Fielding" in text
    assert reason in text
    assert "The risk to other residents or staff could not be managed safely" in text
    assert "(spec" not in text  # the category in plain words, without its clause number
    assert manager_book.referrals.get(r.id).decline_letter_id == d.decline_letter_id
    with pytest.raises(ValidationError):
        manager_book.referrals.accept(r.id)  # already decided
    # The audit entry keeps the category, never the free-text reasons.
    with manager_book._read() as s:
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "referral.decline"))
    assert "risk" in detail and "history" not in detail


def test_the_decline_letter_waits_in_the_outbox_for_the_referrer(manager_book: Casebook) -> None:
    from keyworker.db.outbox import OutboxItem

    r = manager_book.referrals.record(referral_input(referrer_name="Pat Fielding",
                                                     referrer_email="pat.fielding@council.example"))
    d = manager_book.referrals.decline(r.id, "risk", "The risk history described cannot be managed safely here.")
    with manager_book._read() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.referral_id == r.id)).all()
    assert len(items) == 1
    item = items[0]
    assert (item.kind, item.status, item.document_id) == ("decline_letter", "pending", d.decline_letter_id)
    assert (item.recipient_name, item.recipient_email, item.recipient_role) == (
        "Pat Fielding", "pat.fielding@council.example", "referrer")
    assert item.payload == manager_book.documents.content(d.decline_letter_id)
    assert item.destination_id is None  # no destination set yet: it waits, visibly counted
    assert manager_book.check(integrity=False)["outbox_waiting"] == 1


def test_acceptance_is_confirmed_to_the_referrer_in_writing_through_the_outbox(manager_book: Casebook) -> None:
    from keyworker.db.documents import Document
    from keyworker.db.outbox import OutboxItem

    r = manager_book.referrals.record(referral_input(referrer_name="Pat Fielding",
                                                     referrer_email="pat.fielding@council.example"))
    manager_book.referrals.accept(r.id)
    with manager_book._read() as s:
        doc = s.scalars(select(Document).where(Document.referral_id == r.id)).one()
        item = s.scalars(select(OutboxItem).where(OutboxItem.referral_id == r.id)).one()
    assert doc.kind == "acceptance_confirmation" and item.document_id == doc.id
    assert (item.recipient_email, item.recipient_role) == ("pat.fielding@council.example", "referrer")
    text = " ".join(" ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(doc.content)).pages).split())
    assert "Referral accepted" in text and "Dear Pat Fielding" in text and "can offer a place" in text
    assert "Yours sincerely, Morgan Manager Registered Manager" in text  # signatory with job title
    assert "DRAFT" not in text and "(spec" not in text


def test_a_refused_decline_queues_nothing(manager_book: Casebook) -> None:
    r = manager_book.referrals.record(referral_input())
    with pytest.raises(ValidationError):
        manager_book.referrals.decline(r.id, "", "no")
    assert manager_book.check(integrity=False)["outbox_waiting"] == 0


def test_declines_are_reportable(manager_book: Casebook, clock: FixedClock) -> None:
    r1 = manager_book.referrals.record(referral_input(given_name="A"))
    manager_book.referrals.decline(
        r1.id, "no_vacancy", "There is no suitable place available in the time needed."
    )
    r2 = manager_book.referrals.record(referral_input(given_name="B"))
    clock.set(datetime(2026, 1, 20, 9, 0))  # after its deadline (Fri 9 Jan)
    manager_book.referrals.decline(
        r2.id, "eligibility", "Lives outside the Authority's boundary, no ordinary residence."
    )
    from keyworker.reports.periods import between

    rows = manager_book.reports.declines(between(date(2026, 1, 1), date(2026, 1, 31))).rows
    assert [(x.reason_category, x.in_time) for x in rows] == [
        ("no_vacancy", True),
        ("eligibility", False),
    ]
    assert rows[0].referrer_name == "Pat Fielding" and rows[0].reasons.startswith("There is no")
    assert manager_book.reports.declines(between(date(2026, 2, 1), date(2026, 2, 28))).rows == ()


def test_admit_accepted_referral(manager_book: Casebook) -> None:
    r = accepted_referral(manager_book)
    kw = worker_id(manager_book)
    rec = manager_book.referrals.admit(
        r.id,
        admission_input(kw, planned_weeks=16, part_time=True, part_time_notes="Mon to Wed"),
        resident_input(),
    )
    assert rec.reference == "R-00001"
    assert rec.key_worker_id == kw and rec.key_worker_name == "Sam Worker"
    adm = rec.current_admission
    assert adm is not None and adm.week_label == "Week 1 of 16" and adm.part_time
    assert adm.setting_label == "24-hour staffed residential"
    assert manager_book.referrals.get(r.id).status == "admitted"
    actions = [a for a, _ in last_audit(manager_book, 5)]
    assert {"resident.create", "admission.create"} <= set(actions)


def test_admission_rules(manager_book: Casebook) -> None:
    r = accepted_referral(manager_book)
    kw = worker_id(manager_book)
    errors = manager_book.referrals.validate_admission(
        r.id,
        {
            "admitted_on": "05/01/2026",
            "setting": "tent",
            "strand": "level_3",
            "planned_weeks": 30,
            "key_worker_id": worker_id(manager_book, "nights"),
        },
    )
    assert set(errors) == {"setting", "strand", "planned_weeks", "key_worker_id"}
    assert "between 12 and 26" in errors["planned_weeks"]
    open_ref = manager_book.referrals.record(referral_input(given_name="Other"))
    with pytest.raises(ValidationError, match="accepted"):
        manager_book.referrals.admit(open_ref.id, admission_input(kw), resident_input())


def test_under_18_refused_with_no_override_and_nothing_half_saved(manager_book: Casebook) -> None:
    r = accepted_referral(manager_book)
    kw = worker_id(manager_book)
    with pytest.raises(ValidationError) as e:
        manager_book.referrals.admit(
            r.id, admission_input(kw), resident_input(date_of_birth=date(2008, 1, 6))
        )
    assert "they turn 18 on 06/01/2026" in e.value.fields["date_of_birth"]
    # The old way round it, a reason, no longer admits anyone under 18.
    assert "age_override_reason" not in ResidentInput.__dataclass_fields__
    with pytest.raises(ValidationError) as e:
        manager_book.referrals.admit(
            r.id,
            admission_input(kw),
            {**resident_input(date_of_birth=date(2008, 1, 6)).__dict__,
             "age_override_reason": "Agreed with the Authority: care leaver, turns 18 soon."},
        )
    assert "Under 18 on the admission date (05/01/2026)" in e.value.fields["date_of_birth"]
    with manager_book._read() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 0
        assert s.scalar(select(func.count()).select_from(Admission)) == 0
        assert s.get(Referral, r.id).status == "accepted"


def test_a_resident_admitted_under_18_before_the_rule_can_still_be_edited(manager_book: Casebook) -> None:
    """The column stays (no destructive migration) and old records keep their reason; editing
    them is not blocked, but a new date of birth under 18 is refused."""
    rec = admit(manager_book)
    with manager_book._write() as s:
        res = s.get(Resident, rec.id)
        res.date_of_birth, res.age_override_reason = date(2008, 6, 1), "Recorded before the rule."
    updated = manager_book.residents.update(rec.id, {"postcode": "PR2 2AB"})
    assert updated.postcode == "PR2 2AB" and updated.age_override_reason == "Recorded before the rule."
    with pytest.raises(ValidationError) as e:
        manager_book.residents.update(rec.id, {"date_of_birth": date(2009, 6, 1)})
    assert "turn 18 on 01/06/2027" in e.value.fields["date_of_birth"]
    with pytest.raises(ValidationError) as e:
        manager_book.residents.update(rec.id, {"age_override_reason": "Another reason."})
    assert e.value.fields == {"age_override_reason": "This field cannot be changed here."}


def test_update_open_referral_recomputes_deadline(worker_book: Casebook) -> None:
    r = worker_book.referrals.record(referral_input())
    r2 = worker_book.referrals.update(
        r.id, {"received_at": datetime(2026, 1, 5, 8, tzinfo=LONDON), "category": "emergency"}
    )
    assert r2.decision_due_on == date(2026, 1, 12) and r2.category == "emergency"
    assert last_audit(worker_book)[0] == ("referral.update", {"fields": ["category", "received_at"]})


def test_the_inbox_list_carries_no_assessment_birth_date_or_referrer_contact(manager_book: Casebook) -> None:
    """A list is not an opened record: it shows what the inbox shows and is not audited; the
    assessment, date of birth and the referrer's email and phone come with get(), audited."""
    r = manager_book.referrals.record(referral_input(date_of_birth=date(1990, 3, 4), referrer_phone="01772 000000",
                                                     referrer_email="pat@lancashire.gov.uk"))
    [row] = manager_book.referrals.list_open()
    assert row.id == r.id and row.name == r.name and row.referrer_name == r.referrer_name
    for hidden in ("assessment_summary", "date_of_birth", "referrer_email", "referrer_phone"):
        assert not hasattr(row, hidden), hidden
    assert "Care Act" not in repr(row) and "1990" not in repr(row) and "01772" not in repr(row)
    with manager_book._read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "referral.view")) == 0
    full = manager_book.referrals.get(r.id)
    assert full.assessment_summary and full.date_of_birth == date(1990, 3, 4)
    with manager_book._read() as s:
        assert s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "referral.view")).all() == [r.id]


def test_decided_referrals_are_listed_by_status_and_found_by_name(manager_book: Casebook, clock: FixedClock) -> None:
    book = manager_book
    waiting = book.referrals.record(referral_input(given_name="Wendy", family_name="Wait"))
    accepted = accepted_referral(book, given_name="Andy", family_name="Accept")
    declined = book.referrals.record(referral_input(given_name="Dee", family_name="Klein",
                                                    referrer_name="Sam O'Brien"))
    book.referrals.decline(declined.id, "no_vacancy", "No place is free within the time the assessment needs.")
    admitted = admit(book, referral={"given_name": "Ada", "family_name": "Mitt"}).id
    assert [r.id for r in book.referrals.list()] == [waiting.id, accepted.id]  # open by default
    assert [r.id for r in book.referrals.list("declined")] == [declined.id]
    [row] = book.referrals.list("declined")
    assert row.status == "declined" and row.decided_at is not None and row.decided_within_deadline
    assert [r.name for r in book.referrals.list("admitted")] == ["Ada Mitt"] and admitted
    assert len(book.referrals.list("all")) == 4
    assert [r.name for r in book.referrals.list("all", "kle")] == ["Dee Klein"]  # the start of a word
    assert [r.name for r in book.referrals.list("all", "o'brien")] == ["Dee Klein"]  # the referrer
    assert book.referrals.list("all", "lein") == [] and book.referrals.list("all", "%") == []
    assert [r.name for r in book.referrals.list("all", "wendy wait")] == ["Wendy Wait"]
    with pytest.raises(ValidationError):
        book.referrals.list("everything")


def test_an_accepted_referral_can_be_corrected_but_not_its_time_received(manager_book: Casebook) -> None:
    r = accepted_referral(manager_book, date_of_birth=date(1990, 3, 4))
    fixed = manager_book.referrals.update(r.id, {"date_of_birth": date(1990, 4, 3), "given_name": "Janet"})
    assert (fixed.given_name, fixed.date_of_birth, fixed.status) == ("Janet", date(1990, 4, 3), "accepted")
    assert last_audit(manager_book)[0] == ("referral.update", {"fields": ["date_of_birth", "given_name"]})
    with pytest.raises(ValidationError) as e:
        manager_book.referrals.update(r.id, {"received_at": datetime(2026, 1, 5, 8, tzinfo=LONDON)})
    assert "timed from it" in e.value.fields["received_at"]
    declined = manager_book.referrals.record(referral_input())
    manager_book.referrals.decline(declined.id, "no_vacancy", "No place is free within the time the assessment needs.")
    with pytest.raises(ValidationError) as e:
        manager_book.referrals.update(declined.id, {"given_name": "Other"})
    assert "decline letter" in e.value.fields[""]

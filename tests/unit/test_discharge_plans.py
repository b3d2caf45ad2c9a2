"""The planned discharge (issue 13; specification 4.1.7.1–4.1.7.3, 4.1.8): the plan and its
validation in words, the referrer-not-invited warning, the key worker completing it (the stay
ended, the discharge awaiting a senior, the 3- and 6-month follow-ups only for a completed
programme), the senior signing (not the same person) and the letter queued once per recipient,
each write all or nothing."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge, DischargePlan, FollowUp
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem
from keyworker.discharge_plans import Aftercare, Attendee, DischargePlanInput
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.medication import MedicationInput
from keyworker.risk import example_input
from tests.fixtures.caseload import admit, last_audit


def plan_input(resident_id: str, **over: object) -> DischargePlanInput:
    values: dict[str, object] = dict(
        resident_id=resident_id, meeting_on="16/03/2026",
        attendees=[Attendee("Jane Doe", "Resident"), Attendee("Sam Worker", "Key worker"),
                   Attendee("Pat Fielding", "Social worker (referrer)")],
        referrer_invited=True, planned_date="30/03/2026", route="community",
        reason_code="completed_drug_free",
        aftercare=Aftercare(mutual_aid=("SMART Recovery, Tuesdays, Preston",), ctp="Inspire Lancashire, 02/04/2026",
                            housing="Own tenancy, Ribbleton", housing_referral_made=True, home_visits_made=True,
                            gp="Fishergate Surgery"),
        goals_achieved="Abstinent for twelve weeks; reconnected with her sister.",
        recommendations="Keep going to SMART; talk to the CTP early if cravings return.",
        medication_on_discharge="No medicines to take home.")
    values.update(over)
    return DischargePlanInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def unit(book_factory, clock: FixedClock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    rec = admit(manager, gp_practice="Fishergate Surgery")
    resident_id, admission_id = rec.id, rec.admissions[0].id
    manager.risk.record(admission_id, example_input(date(2026, 1, 5), "medium"))
    manager.residents.start_medication(resident_id, MedicationInput("Buprenorphine", "05/01/2026", "8 mg",
                                                                    "once daily", route="sublingual"))
    clock.set(datetime(2026, 3, 30, 11, 0))
    return manager, book_factory("worker"), resident_id, admission_id


def count(book: Casebook, model: type, *where: object) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# -- the plan ------------------------------------------------------------------------------------
def test_an_empty_plan_says_what_is_missing_and_offers_the_current_medication(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    v = worker.discharge_plans.plan(resident_id)
    assert v.id is None and v.state == "draft"
    assert "Buprenorphine" in v.medication_on_discharge and v.medication_prefilled
    assert "the discharge reason" in v.missing and "medication on discharge" not in v.missing
    assert v.referrer_warning == "The referrer was not invited to the discharge planning meeting."
    assert last_audit(worker)[0][0] == "discharge_plan.view"


def test_saving_keeps_everything_and_audits_which_parts_changed(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    v = worker.discharge_plans.save(plan_input(resident_id))
    assert v.missing == () and v.warnings == ()
    assert v.route_label == "Completed programme, to community services"
    assert v.reason_label == "Treatment completed: drug-free"
    assert [a.name for a in v.attendees] == ["Jane Doe", "Sam Worker", "Pat Fielding"]
    assert v.aftercare.housing_referral_made and v.aftercare.home_visits_made
    assert worker.discharge_plans.plan(resident_id) == v
    worker.discharge_plans.save(plan_input(resident_id, recommendations="Different words"))
    action, detail = last_audit(worker)[0]
    assert action == "discharge_plan.save" and detail["fields"] == ["recommendations"]
    assert "Different words" not in str(detail)  # names of parts, never their content


def test_the_referrer_not_invited_is_warned(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    v = worker.discharge_plans.save(plan_input(resident_id, referrer_invited=False))
    assert v.warnings == ("The referrer was not invited to the discharge planning meeting.",)


def test_validation_in_words(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.save(plan_input(resident_id, planned_date="01/01/2026"))
    assert e.value.fields["planned_date"] == "The planned discharge date cannot be before the admission (05/01/2026)."
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.save(plan_input(resident_id, meeting_on="31/03/2026"))
    assert "on or before the planned discharge date" in e.value.fields["meeting_on"]
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.save(plan_input(resident_id, reason_code="incomplete_dropped_out"))
    assert e.value.fields["reason_code"].startswith("Choose a discharge reason for a planned discharge")
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.save(plan_input(resident_id, route="other"))
    assert e.value.fields["route_other"] == "Describe the route out of the unit."
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.save(plan_input(resident_id, route="home", attendees=[Attendee("Sam", "")]))
    assert "Choose one of" in e.value.fields["route"] and "name and a role" in e.value.fields["attendees"]
    # A reason may be given by its words too.
    v = worker.discharge_plans.save(plan_input(resident_id, reason_code="Treatment completed: alcohol-free"))
    assert v.reason_code == "completed_alcohol_free"


# -- completing and signing -------------------------------------------------------------------------
def test_complete_ends_the_stay_and_schedules_the_follow_ups(unit) -> None:  # type: ignore[no-untyped-def]
    manager, worker, resident_id, admission_id = unit
    worker.discharge_plans.save(plan_input(resident_id))
    done = worker.discharge_plans.complete(resident_id, "30/03/2026")
    assert done.type == "planned_completed" and done.state == "awaiting_senior"
    assert done.follow_ups == (date(2026, 6, 30), date(2026, 9, 30))
    assert done.plan.completed and done.plan.key_worker_signed_name == "Sam Worker"
    with worker._read() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None and adm.discharged_on == date(2026, 3, 30) and adm.discharge_type == "planned"
        d = s.get(Discharge, done.discharge_id)
        assert d is not None and d.path == "planned" and d.ends_stay and d.reason_code == "completed_drug_free"
        assert (d.summary_due_at - d.occurred_at).total_seconds() == 24 * 3600
    rows = manager.discharges.awaiting_senior()
    assert [r.type_label for r in rows] == ["Planned discharge: programme completed"]
    # The stay is over: its plan can no longer be edited, and shows as awaiting a senior.
    assert worker.discharge_plans.plan(resident_id).awaiting_senior
    with pytest.raises(ValidationError, match="not in the unit"):
        worker.discharge_plans.save(plan_input(resident_id))


def test_no_follow_ups_when_the_programme_was_not_completed(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id, route="further_residential",
                                           reason_code="transferred_not_in_custody"))
    done = worker.discharge_plans.complete(resident_id, "30/03/2026")
    assert done.type == "planned_transfer" and done.follow_ups == ()
    assert count(worker, FollowUp) == 0


def test_complete_needs_a_finished_plan_and_a_sane_date(unit) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id, goals_achieved="", recommendations=""))
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.complete(resident_id, "30/03/2026")
    assert "the goals achieved, recommendations for the future" in e.value.fields[""]
    worker.discharge_plans.save(plan_input(resident_id))
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.complete(resident_id, "31/03/2026")
    assert "future" in e.value.fields["discharged_on"]
    with pytest.raises(ValidationError) as e:
        worker.discharge_plans.complete(resident_id, "04/01/2026")
    assert "before the admission" in e.value.fields["discharged_on"]


def test_a_senior_other_than_the_key_worker_signs_and_four_letters_go(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id))
    done = worker.discharge_plans.complete(resident_id, "30/03/2026")
    with pytest.raises(PermissionDenied):
        worker.discharge_plans.sign(resident_id)
    v = manager.discharge_plans.sign(resident_id)
    assert v.signed and v.senior_signed_name == "Morgan Manager" and v.discharge_state == "confirmed"
    with manager._read() as s:
        items = s.execute(select(OutboxItem.kind, OutboxItem.recipient_role, OutboxItem.recipient_name,
                                 OutboxItem.recipient_email).where(OutboxItem.kind == "discharge_letter")).all()
        d = s.get(Discharge, done.discharge_id)
        plan = s.scalars(select(DischargePlan)).one()
        assert d is not None and d.letter_document_id == plan.letter_document_id == v.letter_document_id
        assert d.summary_sent_at is not None and d.state == "confirmed"
    assert sorted((k, r, n) for k, r, n, _e in items) == [
        ("discharge_letter", "authority", "The Authority's nominated person"),
        ("discharge_letter", "ctp", "Inspire Lancashire"),  # told of every discharge (4.1.7.13)
        ("discharge_letter", "referrer", "Pat Fielding"),
        ("discharge_letter", "resident", "Jane Doe")]
    # Whoever has no email waits in the outbox, and the view says who.
    assert v.letters_queued == 4
    assert any(w.startswith("Jane Doe (the resident)") for w in v.not_sent)
    assert any("Authority's nominated person" in w for w in v.not_sent)
    assert not any("Pat Fielding" in w for w in v.not_sent)
    assert manager.discharges.awaiting_senior() == []
    with pytest.raises(ValidationError, match="already"):
        manager.discharge_plans.sign(resident_id)


def test_a_planned_discharge_is_confirmed_only_by_signing_its_letter(unit) -> None:  # type: ignore[no-untyped-def]
    manager, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id))
    done = worker.discharge_plans.complete(resident_id, "30/03/2026")
    with pytest.raises(ValidationError, match="Sign and send"):
        manager.discharges.confirm(done.discharge_id)
    assert manager.discharges.get(done.discharge_id).state == "awaiting_senior"
    assert manager.discharges.get(done.discharge_id).type_label == "Planned discharge: programme completed"


def test_the_person_who_completed_it_cannot_sign(unit) -> None:  # type: ignore[no-untyped-def]
    manager, _, resident_id, _ = unit
    manager.discharge_plans.save(plan_input(resident_id))
    manager.discharge_plans.complete(resident_id, "30/03/2026")
    with pytest.raises(ValidationError, match="someone other than"):
        manager.discharge_plans.sign(resident_id)
    assert count(manager, OutboxItem, OutboxItem.kind == "discharge_letter") == 0


def test_sign_before_complete_is_refused(unit) -> None:  # type: ignore[no-untyped-def]
    manager, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id))
    with pytest.raises(ValidationError, match="not been completed"):
        manager.discharge_plans.sign(resident_id)


def test_a_failure_after_the_letters_are_queued_leaves_nothing(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    manager, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id))
    worker.discharge_plans.complete(resident_id, "30/03/2026")
    real = manager._record

    def failing(session, action, *a, **k):  # type: ignore[no-untyped-def]
        if action == "discharge_plan.sign":
            raise RuntimeError("disk went away")
        return real(session, action, *a, **k)

    monkeypatch.setattr(manager, "_record", failing)
    with pytest.raises(RuntimeError):
        manager.discharge_plans.sign(resident_id)
    monkeypatch.undo()
    assert count(manager, OutboxItem, OutboxItem.kind == "discharge_letter") == 0
    assert count(manager, Document, Document.kind == "discharge_letter") == 0
    v = manager.discharge_plans.plan(resident_id)
    assert v.awaiting_senior and v.letter_document_id is None and v.discharge_state == "awaiting_senior"


def test_a_failure_while_completing_leaves_the_stay_open(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, admission_id = unit
    worker.discharge_plans.save(plan_input(resident_id))
    real = worker._record

    def failing(session, action, *a, **k):  # type: ignore[no-untyped-def]
        if action == "discharge_plan.complete":
            raise RuntimeError("disk went away")
        return real(session, action, *a, **k)

    monkeypatch.setattr(worker, "_record", failing)
    with pytest.raises(RuntimeError):
        worker.discharge_plans.complete(resident_id, "30/03/2026")
    monkeypatch.undo()
    assert count(worker, Discharge) == 0 and count(worker, FollowUp) == 0
    with worker._read() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None and adm.discharged_on is None
    assert worker.discharge_plans.plan(resident_id).state == "draft"


def test_permissions(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    _, worker, resident_id, _ = unit
    nights = book_factory("nights")
    assert nights.discharge_plans.plan(resident_id).state == "draft"  # nights read the record
    with pytest.raises(PermissionDenied):
        nights.discharge_plans.save(plan_input(resident_id))
    with pytest.raises(PermissionDenied):
        nights.discharge_plans.complete(resident_id, "30/03/2026")
    with pytest.raises(PermissionDenied):
        book_factory("admin").discharge_plans.plan(resident_id)
    with pytest.raises(ValidationError):  # wrong types are refused at the boundary, in words
        worker.discharge_plans.save(dataclasses.replace(plan_input(resident_id), attendees="Jane"))  # type: ignore[arg-type]

"""Medication as start/change/stop events with history, and consents with who recorded them."""

from __future__ import annotations

from datetime import date

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.errors import ValidationError
from keyworker.medication import MedicationInput
from tests.fixtures.caseload import admit, last_audit


def test_start_change_stop_keeps_history(
    manager_book: Casebook, worker_book: Casebook, clock: FixedClock
) -> None:
    rec = admit(manager_book)
    c = worker_book.residents.start_medication(
        rec.id, MedicationInput("Sertraline", "01/12/2025", "50 mg", "once daily", "Dr Ahmed (GP)", route="oral")
    )
    assert last_audit(worker_book)[0] == ("medication.start", {})
    clock.advance(days=7)
    worker_book.residents.change_medication(c.course_id, {"dose": "100 mg", "effective_on": "12/01/2026"})
    worker_book.residents.start_medication(
        rec.id, {"name": "Thiamine", "dose": "100 mg", "frequency": "once daily", "route": "By mouth",
                  "effective_on": "05/01/2026"}
    )
    med = worker_book.residents.medication(rec.id)
    assert [(x.name, x.dose, x.prescriber) for x in med.current] == [
        ("Sertraline", "100 mg", "Dr Ahmed (GP)"),
        ("Thiamine", "100 mg", None),
    ]
    thiamine = med.current[1]
    stopped = worker_book.residents.stop_medication(thiamine.course_id, "12/01/2026", "Course completed")
    assert stopped.stopped_on == date(2026, 1, 12) and not stopped.current
    med = worker_book.residents.medication(rec.id)
    assert [x.name for x in med.current] == ["Sertraline"] and [x.name for x in med.stopped] == ["Thiamine"]
    assert [(e.name, e.event) for e in med.history][:2] == [("Sertraline", "change"), ("Thiamine", "stop")]
    assert len(med.history) == 4
    sert = med.current[0]
    assert [e.dose for e in sert.events] == ["50 mg", "100 mg"]


def test_medication_validation(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    assert set(manager_book.residents.validate_medication({"name": "", "effective_on": "31/12/2099",
                                                            "route": "oral", "as_directed": True})) == {
        "name",
        "effective_on",
    }
    c = manager_book.residents.start_medication(rec.id, {"name": "Omeprazole", "effective_on": "05/01/2026",
                                                                    "route": "oral", "as_directed": True})
    manager_book.residents.stop_medication(c.course_id)
    with pytest.raises(ValidationError, match="already stopped"):
        manager_book.residents.stop_medication(c.course_id)
    with pytest.raises(ValidationError, match="stopped"):
        manager_book.residents.change_medication(c.course_id, {"dose": "40 mg", "effective_on": "05/01/2026"})
    d = manager_book.residents.start_medication(rec.id, {"name": "Salbutamol", "effective_on": "05/01/2026",
                                                                    "route": "inhaled", "as_directed": True})
    with pytest.raises(ValidationError) as e:
        manager_book.residents.stop_medication(d.course_id, "01/01/2026")
    assert "before it started" in e.value.fields["effective_on"]


def test_consents_with_date_and_who_recorded(manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    assert set(worker_book.residents.validate_consent("gossip", True, recorded_on="31/12/2099")) == {
        "kind",
        "recorded_on",
    }
    with pytest.raises(ValidationError) as e:
        worker_book.residents.record_consent(rec.id, "information_sharing", True)
    assert "parties" in e.value.fields
    worker_book.residents.record_consent(rec.id, "information_sharing", True, parties=["GP practice", "CTP"])
    worker_book.residents.record_consent(rec.id, "ctp_referral_if_overdose_risk", True)
    worker_book.residents.record_consent(rec.id, "contact_next_of_kin", False, notes="Not at present")
    worker_book.residents.record_consent(rec.id, "contact_next_of_kin", True, recorded_on="05/01/2026")
    current = {c.kind: c for c in worker_book.residents.consents(rec.id)}
    assert set(current) == {"information_sharing", "ctp_referral_if_overdose_risk", "contact_next_of_kin"}
    assert current["contact_next_of_kin"].given is True
    assert current["information_sharing"].parties == ("GP practice", "CTP")
    assert current["information_sharing"].recorded_by_name == "Sam Worker"
    assert current["information_sharing"].recorded_on == date(2026, 1, 5)
    history = worker_book.residents.consents(rec.id, history=True)
    assert len(history) == 4 and sum(not c.current for c in history) == 1


def test_a_start_says_how_it_is_taken(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    with pytest.raises(ValidationError) as e:
        manager_book.residents.start_medication(rec.id, {"name": "Methadone", "effective_on": "05/01/2026"})
    assert e.value.fields == {
        "route": "Choose how it is taken: by mouth, under the tongue, injection, inhaled, patch, other.",
        "dose": "Give the dose (for example 8 mg), or tick “As directed”.",
        "frequency": "Say how often it is taken (for example once daily), or tick “As directed”.",
    }
    with pytest.raises(ValidationError) as e:
        manager_book.residents.start_medication(rec.id, {"name": "Methadone", "effective_on": "05/01/2026",
                                                         "route": "up the nose", "dose": "30 ml",
                                                         "frequency": "once daily"})
    assert e.value.fields["route"].startswith("Choose one of: By mouth, Under the tongue")
    with pytest.raises(ValidationError) as e:
        manager_book.residents.start_medication(rec.id, {"name": "Gaviscon", "effective_on": "05/01/2026",
                                                         "route": "oral", "dose": "10 ml", "as_directed": True})
    assert "Leave the dose blank" in e.value.fields["dose"]
    bup = manager_book.residents.start_medication(rec.id, MedicationInput(
        "Buprenorphine", "05/01/2026", "8 mg", "once daily", route="Under the tongue"))
    assert bup.route == "sublingual" and bup.how_taken == "8 mg, once daily, under the tongue"
    gav = manager_book.residents.start_medication(rec.id, {"name": "Gaviscon", "effective_on": "05/01/2026",
                                                           "route": "oral", "as_directed": True})
    assert gav.how_taken == "As directed, by mouth" and gav.dose_text == "As directed"
    # a change to a dose ends "as directed"; both must then be given
    with pytest.raises(ValidationError) as e:
        manager_book.residents.change_medication(gav.course_id, {"dose": "10 ml", "effective_on": "05/01/2026"})
    assert "it was taken as directed until now" in e.value.fields["frequency"]
    gav2 = manager_book.residents.change_medication(gav.course_id, {"dose": "10 ml", "frequency": "after meals",
                                                                    "effective_on": "05/01/2026"})
    assert gav2.how_taken == "10 ml, after meals, by mouth" and gav2.as_directed is False
    bup2 = manager_book.residents.change_medication(bup.course_id, {"as_directed": True, "effective_on": "05/01/2026"})
    assert bup2.how_taken == "As directed, under the tongue" and bup2.dose is None
    stopped = manager_book.residents.stop_medication(bup2.course_id, "05/01/2026", None)
    assert stopped.events[-1].how_taken == "As directed, under the tongue"


def test_medication_recorded_before_routes_reads_not_recorded(manager_book: Casebook) -> None:
    from keyworker.db.caseload import MedicationEvent
    from keyworker.ids import new_id

    rec = admit(manager_book)
    cid = new_id()
    with manager_book._write() as s:  # as a row written before migration 0007
        s.add(MedicationEvent(id=cid, course_id=cid, resident_id=rec.id, event="start", name="Thiamine",
                              dose="100 mg", effective_on=date(2026, 1, 5)))
    old = manager_book.residents.medication(rec.id).current[0]
    assert old.route is None and old.how_taken == "100 mg, frequency not recorded, route not recorded"
    assert old.route_label == "not recorded" and old.frequency_text == "not recorded"
    with pytest.raises(ValidationError) as e:  # a change brings it up to date
        manager_book.residents.change_medication(cid, {"frequency": "once daily", "effective_on": "05/01/2026"})
    assert "not recorded when this medicine was started" in e.value.fields["route"]
    new = manager_book.residents.change_medication(cid, {"frequency": "once daily", "route": "oral",
                                                         "effective_on": "05/01/2026"})
    assert new.how_taken == "100 mg, once daily, by mouth"


def test_printed_resident_summary_shows_what_they_take(manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    rec = admit(manager_book)
    manager_book.residents.update(rec.id, {"nhs_number": "9434765919"})
    manager_book.residents.start_medication(rec.id, MedicationInput(
        "Buprenorphine", "05/01/2026", "8 mg", "once daily", "Dr A Patel", route="sublingual"))
    manager_book.residents.start_medication(rec.id, {"name": "Gaviscon", "effective_on": "05/01/2026",
                                                     "route": "oral", "as_directed": True})
    nights = book_factory("nights")  # night staff print it for handover
    preview = nights.residents.summary_pdf(rec.id)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(preview.content)).pages)
    assert "Resident summary" in text and "943 476 5919" in text, text
    assert "Buprenorphine 8 mg once daily Under the tongue 05/01/2026 Dr A Patel" in text
    assert "Gaviscon As directed As directed By mouth" in text
    assert preview.kind == "resident_summary" and preview.resident_id == rec.id
    assert last_audit(nights)[0][0] == "document.preview"  # a read of the record, audited

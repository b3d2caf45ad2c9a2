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
        rec.id, MedicationInput("Sertraline", "01/12/2025", "50 mg", "once daily", "Dr Ahmed (GP)")
    )
    assert last_audit(worker_book)[0] == ("medication.start", {})
    clock.advance(days=7)
    worker_book.residents.change_medication(c.course_id, {"dose": "100 mg", "effective_on": "12/01/2026"})
    worker_book.residents.start_medication(
        rec.id, {"name": "Thiamine", "dose": "100 mg", "effective_on": "05/01/2026"}
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
    assert set(manager_book.residents.validate_medication({"name": "", "effective_on": "31/12/2099"})) == {
        "name",
        "effective_on",
    }
    c = manager_book.residents.start_medication(rec.id, {"name": "Omeprazole", "effective_on": "05/01/2026"})
    manager_book.residents.stop_medication(c.course_id)
    with pytest.raises(ValidationError, match="already stopped"):
        manager_book.residents.stop_medication(c.course_id)
    with pytest.raises(ValidationError, match="stopped"):
        manager_book.residents.change_medication(c.course_id, {"dose": "40 mg", "effective_on": "05/01/2026"})
    d = manager_book.residents.start_medication(rec.id, {"name": "Salbutamol", "effective_on": "05/01/2026"})
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

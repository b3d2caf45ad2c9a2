"""The resident record: audited reads, field-name-only audit of edits, references, search text,
"prefer not to say" kept apart from blank, and who may edit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import PREFER_NOT_TO_SAY, Resident
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.residents import NOT_RECORDED
from tests.fixtures.caseload import admit, last_audit, worker_id


def test_every_read_is_audited(manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    got = worker_book.residents.get(rec.id)
    assert got.reference == rec.reference and got.display_name == "Jane Doe"
    assert last_audit(worker_book)[0] == ("resident.view", {})


def test_update_audits_field_names_never_values(manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book, nhs_number=None)
    updated = worker_book.residents.update(
        rec.id,
        {
            "nhs_number": "943 476 5919",
            "ethnicity": "Prefer not to say",
            "preferred_name": "JJ",
            "postcode": "bb11 1aa",
            "given_name": "Jane",
        },
    )
    assert updated.nhs_number == "9434765919" and updated.postcode == "BB11 1AA"
    action, detail = last_audit(worker_book)[0]
    assert action == "resident.update"
    assert detail == {"fields": ["ethnicity", "nhs_number", "postcode", "preferred_name"]}
    assert "9434765919" not in str(detail) and "Prefer" not in str(detail)


def test_search_text_and_key_worker_kept_current(manager_book: Casebook) -> None:
    rec = admit(manager_book, preferred_name="Jay")
    manager_book.residents.update(rec.id, {"family_name": "Doe-Smith", "postcode": "LA1 4YW"})
    with manager_book._read() as s:
        r = s.get(Resident, rec.id)
        assert r.search_text == "jane doe-smith jay r-00001 la1 4yw"
    other = worker_id(manager_book, "worker2")
    again = manager_book.residents.assign_key_worker(rec.id, other)
    assert again.key_worker_id == other == again.current_admission.key_worker_id


def test_a_key_worker_edits_the_record_but_only_a_senior_moves_it_to_another_key_worker(
        manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    me = worker_id(manager_book)
    worker_book.residents.update(rec.id, {"preferred_name": "Jay"})
    with pytest.raises(PermissionDenied):
        worker_book.residents.assign_key_worker(rec.id, worker_id(manager_book, "worker2"))
    assert last_audit(worker_book)[0][0] == "resident.update"  # the refusal wrote nothing
    kept = worker_book.residents.get(rec.id)
    assert kept.key_worker_id == me == kept.current_admission.key_worker_id
    with pytest.raises(ValidationError):  # nor through the record's ordinary edit
        worker_book.residents.update(rec.id, {"key_worker_id": worker_id(manager_book, "worker2")})
    moved = manager_book.residents.assign_key_worker(rec.id, worker_id(manager_book, "worker2"))
    assert moved.current_admission.key_worker_id == worker_id(manager_book, "worker2")


def test_references_are_sequential(manager_book: Casebook) -> None:
    a = admit(manager_book)
    b = admit(manager_book, given_name="John", referral={"given_name": "John"})
    assert (a.reference, b.reference) == ("R-00001", "R-00002")
    assert manager_book.residents.find_by_reference("r-00002") == b.id
    assert manager_book.residents.find_by_reference("2") == b.id


def test_invalid_update_saves_nothing(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    with pytest.raises(ValidationError) as e:
        manager_book.residents.update(rec.id, {"postcode": "PR1 9ZZ", "nhs_number": "1234567890"})
    assert set(e.value.fields) == {"nhs_number"}
    assert manager_book.residents.get(rec.id).postcode == "PR1 2AB"
    errors = manager_book.residents.validate({"family_name": ""}, resident_id=rec.id)
    assert "family_name" in errors
    with pytest.raises(ValidationError):
        manager_book.residents.update(rec.id, {"reference": "R-99999"})


def test_date_of_birth_edit_keeps_the_age_rule(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    with pytest.raises(ValidationError) as e:
        manager_book.residents.update(rec.id, {"date_of_birth": date(2010, 1, 1)})
    assert "Under 18 on the admission date" in e.value.fields["date_of_birth"]


def test_out_of_hours_can_read_but_not_edit(manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rec = admit(manager_book)
    nights = book_factory("nights")
    assert nights.residents.get(rec.id).id == rec.id
    with pytest.raises(PermissionDenied):
        nights.residents.update(rec.id, {"preferred_name": "J"})
    with pytest.raises(PermissionDenied):
        nights.residents.start_medication(rec.id, {"name": "Thiamine", "effective_on": "05/01/2026"})


def test_prefer_not_to_say_reported_apart_from_missing(manager_book: Casebook) -> None:
    admit(manager_book, sex="Prefer not to say", religion="Prefer not to say")
    admit(manager_book, given_name="B", sex=None, religion="", referral={"given_name": "B"})
    admit(manager_book, given_name="C", sex="Male", religion="Muslim", referral={"given_name": "C"})
    with manager_book._read() as s:
        stored = sorted(s.scalars(select(Resident.sex)).all(), key=str)
    assert stored == sorted(["Male", PREFER_NOT_TO_SAY, None], key=str)
    assert manager_book.residents.demographics("sex") == {PREFER_NOT_TO_SAY: 1, NOT_RECORDED: 1, "Male": 1}
    assert manager_book.residents.demographics("religion") == {
        PREFER_NOT_TO_SAY: 1,
        NOT_RECORDED: 1,
        "Muslim": 1,
    }


def test_week_number_and_counts(manager_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)
    clock.advance(days=15)
    assert manager_book.residents.get(rec.id).current_admission.week_label == "Week 3 of 12"
    counts = manager_book.check(integrity=False)
    assert counts["residents"] == 1 and counts["current_residents"] == 1

"""Pre-admission assessments (book.pre_admission, contract 4.1.3): the form in words, who may record
(key workers and seniors; nights read), the referrals list showing it done, corrections that keep
the old assessment, and the assessment carried into the record once the person is admitted."""
from __future__ import annotations

from datetime import date

import pytest

from keyworker.casebook import Casebook
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.pre_admission import DomainNote, PreAdmissionInput
from tests.fixtures.caseload import admission_input, referral_input, resident_input, worker_id


def assessment(referral_id: str, **kw: object) -> PreAdmissionInput:
    base: dict[str, object] = dict(
        referral_id=referral_id, assessed_on=date(2026, 1, 5), method="in_person",
        domains=[DomainNote("physical", "Hepatitis C treated 2024; liver scan due."),
                 DomainNote("forensic", "Probation order until June.")],
        motivation="Wants to be abstinent for her daughter; has tried community detox twice.",
        outcomes="Abstinence; housing; contact with her daughter.",
        checklist=["service_model_person", "service_model_referrer", "house_rules", "options_reviewed", "intro_visit"])
    base.update(kw)
    return PreAdmissionInput(**base)  # type: ignore[arg-type]


def test_the_form_is_checked_in_words(worker_book: Casebook) -> None:
    ref = worker_book.referrals.record(referral_input())
    with pytest.raises(ValidationError) as e:
        worker_book.pre_admission.record(assessment(ref.id, domains=[DomainNote("physical", "")], method="letter",
                                                    motivation=" ", safeguarding_concern="Children at home"))
    f = e.value.fields
    assert f["domains"].startswith("Write what was assessed in at least one domain")
    assert f["method"] == "Choose one of: In person, Video call, Phone."
    assert f["motivation"] == "Motivation and readiness is required."
    assert f["safeguarding_reported_to"] == "Say to whom the safeguarding concern was reported."


def test_the_referrals_list_shows_the_assessment_done(worker_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    ref = worker_book.referrals.record(referral_input())
    other = worker_book.referrals.record(referral_input(given_name="Lee"))
    rows = {r.id: r for r in worker_book.referrals.list()}
    assert not rows[ref.id].pre_admission_done and not rows[other.id].pre_admission_done
    v = worker_book.pre_admission.record(assessment(ref.id))
    assert v.assessed_by == "Sam Worker" and v.method_label == "In person"
    assert [d[1] for d in v.domains] == ["Physical health", "Offending (forensic)"]
    assert v.not_done == ()
    rows = {r.id: r for r in worker_book.referrals.list()}
    assert rows[ref.id].pre_admission_done and not rows[other.id].pre_admission_done
    with pytest.raises(ValidationError):
        worker_book.pre_admission.record(assessment(ref.id))  # one per referral: a change is a correction
    with pytest.raises(PermissionDenied):
        book_factory("nights").pre_admission.record(assessment(other.id))
    assert book_factory("nights").pre_admission.for_referral(ref.id) == v


def test_a_correction_keeps_the_old_assessment(worker_book: Casebook) -> None:
    ref = worker_book.referrals.record(referral_input())
    first = worker_book.pre_admission.record(assessment(ref.id, checklist=["house_rules"]))
    assert "Service model described to the person" in first.not_done
    assert "No introduction offered (visit, virtual tour, staff or peer support)" in first.not_done
    second = worker_book.pre_admission.correct(first.id, assessment(ref.id, method="phone"), "It was a phone call")
    assert worker_book.pre_admission.for_referral(ref.id) == second
    history = worker_book.pre_admission.history(ref.id)
    assert {h.id for h in history} == {first.id, second.id}
    old = next(h for h in history if h.id == first.id)
    assert old.superseded and old.method == "in_person" and second.correction_reason == "It was a phone call"


def test_on_admission_it_carries_into_the_record(manager_book: Casebook) -> None:
    ref = manager_book.referrals.record(referral_input())
    v = manager_book.pre_admission.record(assessment(ref.id))
    manager_book.referrals.accept(ref.id)
    rec = manager_book.referrals.admit(ref.id, admission_input(worker_id(manager_book)), resident_input())
    got = manager_book.pre_admission.for_resident(rec.id)
    assert got is not None and got.id == v.id and got.resident_id == rec.id
    from keyworker.timeline import merge

    with manager_book._read() as s:
        (entry,) = merge(s, rec.id, ["pre_admission"], None, None)
    assert entry.record_id == v.id and entry.title == "Pre-admission assessment (in person, by Morgan Manager)"
    assert "Offending (forensic): Probation order until June." in entry.text

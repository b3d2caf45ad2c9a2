"""The demo unit: every stage of the journey, deterministic for a seed, a sound audit chain."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.caseload import PREFER_NOT_TO_SAY, Admission, Consent, MedicationEvent, Referral, Resident
from keyworker.db.documents import Document
from keyworker.demo import populate
from keyworker.security.vault import FAST_KDF
from keyworker.validation import nhs_number_valid, normalise_postcode


def test_demo_has_every_stage(manager_book: Casebook) -> None:
    seen: list[tuple[int, int]] = []
    populate(manager_book, 60, seed=3, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (60, 60) and all(t == 60 for _, t in seen)
    with manager_book._read() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 60
        statuses = dict(
            s.execute(select(Referral.status, func.count()).group_by(Referral.status)).tuples().all()
        )
        assert statuses.keys() >= {"open", "accepted", "declined", "admitted"}
        declined = s.scalars(select(Referral).where(Referral.status == "declined")).all()
        # What the admission form carries over from the referral is there to carry.
        accepted = s.scalars(select(Referral).where(Referral.status == "accepted")).all()
        assert accepted and all(r.date_of_birth for r in [*accepted, *declined])
        assert s.scalar(select(func.count()).select_from(Resident).where(Resident.age_override_reason.is_not(None))) == 0
        assert all(r.decline_category and r.decline_reason for r in declined)
        assert s.scalar(
            select(func.count()).select_from(Document).where(Document.kind == "decline_letter")
        ) == len(declined)
        assert (
            s.scalar(select(func.count()).select_from(Admission).where(Admission.discharged_on.is_not(None)))
            > 0
        )
        assert s.scalar(select(func.count()).select_from(MedicationEvent)) > 0
        # A night worker reads how each medicine is taken: a route, and a dose and frequency or "as directed".
        meds = s.scalars(select(MedicationEvent)).all()
        assert all(m.route for m in meds) and any(m.as_directed for m in meds)
        assert all(m.as_directed or (m.dose and m.frequency) for m in meds)
        assert s.scalar(select(func.count()).select_from(Consent)) > 0
        residents = s.scalars(select(Resident)).all()
        assert all(normalise_postcode(r.postcode) == r.postcode for r in residents)
        assert all(nhs_number_valid(r.nhs_number) for r in residents if r.nhs_number)
        assert any(r.religion == PREFER_NOT_TO_SAY for r in residents)
        assert all(r.search_text.startswith(f"{r.given_name} {r.family_name}".lower()) for r in residents)
        # The denormalised key worker is the current admission's.
        for r in residents:
            current = s.scalars(
                select(Admission).where(Admission.resident_id == r.id, Admission.discharged_on.is_(None))
            ).first()
            assert r.key_worker_id == (current.key_worker_id if current else None)
        # Someone still in the unit has not yet passed their planned length ("Week 25 of 19" is wrong).
        today = manager_book.clock.now().date()
        for a in s.scalars(select(Admission).where(Admission.discharged_on.is_(None))):
            assert (today - a.admitted_on).days // 7 + 1 <= a.planned_weeks
    open_refs = manager_book.referrals.list_open()
    assert any(r.overdue for r in open_refs) and any(r.near_deadline for r in open_refs)
    check = manager_book.check()
    assert check["ok"] and check["residents"] == 60 and check["current_residents"] >= 15
    assert check["referrals_decision_overdue"] >= 1


def test_same_seed_same_unit(tmp_path: Path, clock: FixedClock) -> None:
    names = []
    for i in range(2):
        book, _ = Casebook.create(
            tmp_path / f"u{i}.kwdb",
            admin_username="admin",
            admin_full_name="Ada Admin",
            password="Quiet-Harbour-Lamp-42",
            kdf=FAST_KDF,
            clock=clock,
        )
        try:
            populate(book, 25, seed=11)
            with book._read() as s:
                names.append(
                    s.execute(
                        select(
                            Resident.reference,
                            Resident.given_name,
                            Resident.family_name,
                            Resident.date_of_birth,
                        ).order_by(Resident.reference)
                    ).all()
                )
        finally:
            book.close()
    assert names[0] == names[1] and len(names[0]) == 25

"""Test data for the caseload list: residents, stays, plans, reviews and referrals written as ORM
rows inside `book._write()` (the list is the read side; the write services have their own tests)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON
from keyworker.db.care_plans import CarePlan, Review
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import Account


def account_id(book: Casebook, username: str) -> str:
    with book._read() as s:
        return s.scalars(select(Account.id).where(Account.username == username)).one()


def add_resident(book: Casebook, given: str, family: str, *, admitted_on: date | None = date(2026, 1, 1),
                 key_worker: str = "worker", postcode: str | None = "PR1 2AB", preferred: str | None = None,
                 discharged_on: date | None = None, planned_weeks: int = 12,
                 setting: str = "24h_residential") -> str:
    kw = account_id(book, key_worker)
    with book._write() as s:
        no = (s.scalar(select(func.max(Resident.reference_no))) or 0) + 1
        ref = f"R-{no:05d}"
        r = Resident(reference=ref, reference_no=no, given_name=given, family_name=family, preferred_name=preferred,
                     date_of_birth=date(1985, 3, 4), postcode=postcode,
                     search_text=" ".join(p for p in (given, family, preferred or "", ref, postcode or "") if p).lower(),
                     key_worker_id=kw if admitted_on and not discharged_on else None)
        s.add(r)
        s.flush()
        if admitted_on is not None:
            s.add(Admission(resident_id=r.id, admitted_on=admitted_on, setting=setting, strand="level_1",
                            planned_weeks=planned_weeks, key_worker_id=kw, part_time=False,
                            discharged_on=discharged_on, discharge_type="planned" if discharged_on else None))
        return r.id


def open_admission_id(book: Casebook, resident_id: str) -> str:
    with book._read() as s:
        return s.scalars(select(Admission.id).where(Admission.resident_id == resident_id)
                         .order_by(Admission.admitted_on.desc())).first()  # type: ignore[return-value]


def complete_plan(book: Casebook, resident_id: str) -> None:
    adm = open_admission_id(book, resident_id)
    with book._write() as s:
        s.add(CarePlan(resident_id=resident_id, admission_id=adm, status="complete", completed_at=book.clock.now()))


def add_review(book: Casebook, resident_id: str, held_on: date, next_review_on: date,
               *, supersedes: str | None = None) -> str:
    adm = open_admission_id(book, resident_id)
    with book._write() as s:
        rv = Review(resident_id=resident_id, admission_id=adm, held_on=held_on, next_review_on=next_review_on,
                    supersedes_id=supersedes)
        s.add(rv)
        s.flush()
        if supersedes:
            s.get(Review, supersedes).superseded_by_id = rv.id  # type: ignore[union-attr]
        return rv.id


def add_referral(book: Casebook, given: str, family: str, *, due: date, resident_id: str | None = None,
                 status: str = "open", received: date | None = None) -> str:
    rec = received or due - timedelta(days=7)
    with book._write() as s:
        ref = Referral(received_at=datetime(rec.year, rec.month, rec.day, 10, 0, tzinfo=LONDON), given_name=given,
                       family_name=family, referrer_name="Pat Referrer", category="routine", status=status,
                       decision_due_on=due, resident_id=resident_id)
        s.add(ref)
        s.flush()
        return ref.id


def bulk_residents(book: Casebook, n: int, *, admitted_on: date = date(2026, 1, 1), key_worker: str = "worker") -> list[str]:
    """`n` current residents "Person NNNN" in one transaction (for lazy-loading tests)."""
    kw = account_id(book, key_worker)
    ids: list[str] = []
    with book._write() as s:
        start = (s.scalar(select(func.max(Resident.reference_no))) or 0) + 1
        for no in range(start, start + n):
            ref = f"R-{no:05d}"
            r = Resident(reference=ref, reference_no=no, given_name="Person", family_name=f"Test{no:04d}",
                         date_of_birth=date(1990, 1, 1), search_text=f"person test{no:04d} {ref}".lower(),
                         key_worker_id=kw)
            s.add(r)
            s.flush()
            s.add(Admission(resident_id=r.id, admitted_on=admitted_on, setting="24h_residential", strand="level_1",
                            planned_weeks=12, key_worker_id=kw, part_time=False))
            ids.append(r.id)
    return ids

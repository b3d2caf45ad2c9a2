"""Synthetic residents for trying the app and for benchmarks (`main.py demo --residents N`).
Everything here is invented: names, dates, postcodes, NHS numbers (valid check digits, random).
The same seed gives the same unit. Residents are spread over four years, at every stage of the
journey: open referrals (some near or past the decision deadline), accepted ones waiting, declined
ones with reasons and letters, current residents with medication and consents, discharged ones.

Speed: rows are bulk-inserted (Core executemany) in a few large transactions, so 20,000 residents
take seconds. Because the data are synthetic, each batch writes ONE summary audit entry
("demo.populate") instead of one entry per row; real data always goes through the services."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from keyworker import reference_data as ref
from keyworker.clock import LONDON, local_today
from keyworker.db.caseload import PREFER_NOT_TO_SAY, Admission, Consent, MedicationEvent, Referral, Resident
from keyworker.db.documents import Document
from keyworker.db.foundation import Account
from keyworker.demo_data import (
    CTPS,
    DECLINE_REASONS,
    FAMILY,
    GIVEN_F,
    GIVEN_M,
    GP_NAMES,
    INWARD_LETTERS,
    MEDICINES,
    OTHER_AUTHORITIES,
    OUTWARD,
    PRESCRIBERS,
    REFERRERS,
)
from keyworker.documents.decline_letter import Signatory, decline_letter_pdf
from keyworker.ids import new_id
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.residents import format_reference, next_reference_no, search_text_of
from keyworker.working_days import add_working_days, decision_due, is_working_day

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

BATCH = 2000
YEARS = 4
# PDFs cost 10-30 ms each: the newest declines get letters; older synthetic ones keep their reasons only.
MAX_LETTERS = 60


def _nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _demographic(rng: random.Random, field: str) -> str | None:
    roll = rng.random()
    if roll < 0.04:
        return None  # not recorded
    if roll < 0.11:
        return PREFER_NOT_TO_SAY
    options = [o for o in ref.demographic_options(field) if o != PREFER_NOT_TO_SAY]
    if (
        field in ("ethnicity", "gender_identity", "sexual_orientation", "nationality", "disability")
        and rng.random() < 0.75
    ):
        return options[0]
    return rng.choice(options)


def _received_at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), LONDON)


class _Builder:
    """Accumulates one batch of rows, each stamped as the unit of work would stamp it."""

    def __init__(self, book: Casebook, rng: random.Random, today: date, workers: list[str]) -> None:
        self.book, self.rng, self.today, self.workers = book, rng, today, workers
        self.start = today - timedelta(days=365 * YEARS)
        self.reset()

    def reset(self) -> None:
        self.residents: list[dict[str, Any]] = []
        self.admissions: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []
        self.meds: list[dict[str, Any]] = []
        self.consents: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []

    def _at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), LONDON)

    def person(self) -> tuple[str, str, str]:
        sex = "Female" if self.rng.random() < 0.3 else "Male"
        given = self.rng.choice(GIVEN_F if sex == "Female" else GIVEN_M)
        return given, self.rng.choice(FAMILY), sex

    def referral(
        self,
        given: str,
        family: str,
        dob: date | None,
        received: datetime,
        status: str,
        decided: datetime | None = None,
        resident_id: str | None = None,
        decline: str | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        referrer = rng.choice(REFERRERS)
        row = stamp(
            self.book,
            {
                "received_at": received,
                "given_name": given,
                "family_name": family,
                "date_of_birth": dob,
                "referrer_name": referrer,
                "referrer_organisation": "Lancashire County Council",
                "referrer_email": referrer.lower().replace(" ", ".") + "@lancashire.gov.uk",
                "referrer_phone": f"01772 {rng.randint(100000, 999999)}",
                "community_treatment_provider": rng.choice(CTPS),
                "category": rng.choices(["routine", "priority", "emergency"], [70, 22, 8])[0],
                "assessment_summary": "Care Act assessment and recovery plan received. Motivated to engage; "
                "detoxification completed; risk assessment attached.",
                "external_id": None,
                "status": status,
                "decision_due_on": decision_due(received),
                "decided_at": decided,
                "decided_by": self.workers[0] if decided else None,
                "decline_category": decline,
                "decline_reason": DECLINE_REASONS[decline] if decline else None,
                "resident_id": resident_id,
                "created_at": received,
                "updated_at": decided or received,
            },
        )
        self.referrals.append(row)
        return row

    def admitted_referral(
        self, given: str, family: str, dob: date, resident_id: str, admitted_on: date
    ) -> str:
        received_day = admitted_on - timedelta(days=self.rng.randint(8, 40))
        received = _received_at(self.rng, received_day)
        decided_day = add_working_days(received_day, self.rng.choice((1, 2, 3, 4, 5, 5, 6)))
        return self.referral(
            given, family, dob, received, "admitted", self._at(min(decided_day, admitted_on), 14), resident_id
        )["id"]

    def resident(self, ref_no: int, stage: str) -> None:
        rng = self.rng
        given, family, sex = self.person()
        in_lancs = rng.random() < 0.93
        if in_lancs:
            district = rng.choice(list(OUTWARD))
            outward = rng.choice(OUTWARD[district])
        else:
            district, outward = rng.choice(OTHER_AUTHORITIES)
        postcode = f"{outward} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        if stage == "current":
            admitted_on = self.today - timedelta(
                days=rng.choice((0, 0, 1)) if rng.random() < 0.04 else rng.randint(2, 25 * 7)
            )
        else:
            admitted_on = self.start + timedelta(
                days=rng.randint(0, max(1, (self.today - self.start).days - 120))
            )
        age = rng.randint(19, 64)
        dob = admitted_on - timedelta(days=age * 365 + rng.randint(0, 364))
        preferred = rng.choice(("Jim", "Mo", "Tom", "Dan", "Gem", "Sam")) if rng.random() < 0.08 else None
        substances = ref.substances()
        primary = rng.choices(
            ["Alcohol", "Heroin", "Crack cocaine", "Powder cocaine", "Cannabis", "Benzodiazepines"],
            [45, 20, 12, 10, 8, 5],
        )[0]
        others = [
            {"substance": s, "route": rng.choice(ref.routes()[:4])}
            for s in rng.sample(substances, rng.choice((0, 0, 1, 2)))
            if s != primary
        ]
        rid = new_id()
        reference = format_reference(ref_no)
        worker = rng.choice(self.workers)
        row = stamp(
            self.book,
            {
                "id": rid,
                "reference": reference,
                "reference_no": ref_no,
                "given_name": given,
                "family_name": family,
                "preferred_name": preferred,
                "search_text": search_text_of(given, family, preferred, reference, postcode),
                "date_of_birth": dob,
                "age_override_reason": None,
                "nhs_number": _nhs_number(rng) if rng.random() < 0.85 else None,
                "sex": sex if rng.random() > 0.05 else PREFER_NOT_TO_SAY,
                **{
                    f: _demographic(rng, f)
                    for f in (
                        "gender_identity",
                        "ethnicity",
                        "religion",
                        "sexual_orientation",
                        "disability",
                        "marital_status",
                        "nationality",
                    )
                },
                "pregnancy": ("Not applicable" if sex == "Male" else _demographic(rng, "pregnancy")),
                "postcode": postcode,
                "district": district,
                "district_in_lancashire": in_lancs,
                "gp_practice": f"{rng.choice(GP_NAMES)} Medical Practice",
                "next_of_kin_name": f"{rng.choice(GIVEN_F + GIVEN_M)} {family}"
                if rng.random() < 0.8
                else None,
                "next_of_kin_relationship": rng.choice(
                    ("Mother", "Father", "Sister", "Brother", "Partner", "Friend")
                ),
                "next_of_kin_phone": f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                "next_of_kin_address": None,
                "primary_substance": primary,
                "primary_route": {
                    "Alcohol": "Oral",
                    "Heroin": rng.choice(("Injected", "Smoked")),
                    "Crack cocaine": "Smoked",
                    "Powder cocaine": "Sniffed",
                    "Cannabis": "Smoked",
                    "Benzodiazepines": "Oral",
                }[primary],
                "other_substances": json.dumps(others) if others else None,
                "external_id": None,
                "key_worker_id": worker if stage == "current" else None,
                "created_at": self._at(admitted_on),
                "updated_at": self._at(admitted_on),
            },
        )
        self.residents.append(row)
        # A returning resident has an earlier, discharged stay.
        if stage == "current" and rng.random() < 0.06 and admitted_on - timedelta(days=400) > self.start:
            self.admission(
                rid, given, family, dob, admitted_on - timedelta(days=rng.randint(400, 700)), "discharged"
            )
        self.admission(rid, given, family, dob, admitted_on, stage, worker)
        if stage == "current":
            self.medication(rid, admitted_on)
            self.consent_rows(rid, admitted_on)

    def admission(
        self,
        rid: str,
        given: str,
        family: str,
        dob: date,
        admitted_on: date,
        stage: str,
        worker: str | None = None,
    ) -> None:
        rng = self.rng
        weeks = rng.randint(12, 26)
        if stage == "current":  # still here, so not yet past the planned length
            weeks = max(weeks, (self.today - admitted_on).days // 7 + 1)
        discharged_on = discharge_type = None
        if stage == "discharged":
            stay = rng.randint(7, weeks * 7 + 14)
            discharged_on = min(admitted_on + timedelta(days=stay), self.today - timedelta(days=1))
            discharge_type = "planned" if stay >= weeks * 7 - 7 or rng.random() < 0.4 else "unplanned"
        referral_id = self.admitted_referral(given, family, dob, rid, admitted_on)
        part_time = rng.random() < 0.05
        self.admissions.append(
            stamp(
                self.book,
                {
                    "resident_id": rid,
                    "referral_id": referral_id,
                    "admitted_on": admitted_on,
                    "setting": rng.choices(
                        ["24h_residential", "non_24h_residential", "day_programme"], [70, 20, 10]
                    )[0],
                    "strand": rng.choices(["level_1", "level_2"], [60, 40])[0],
                    "planned_weeks": weeks,
                    "key_worker_id": worker or rng.choice(self.workers),
                    "part_time": part_time,
                    "part_time_notes": "Attends Monday to Wednesday; cares for a parent."
                    if part_time
                    else None,
                    "discharged_on": discharged_on,
                    "discharge_type": discharge_type,
                    "created_at": self._at(admitted_on),
                    "updated_at": self._at(discharged_on or admitted_on),
                },
            )
        )

    def medication(self, rid: str, admitted_on: date) -> None:
        rng = self.rng
        for name, dose, freq in rng.sample(MEDICINES, rng.randint(0, 3)):
            course = new_id()
            started = admitted_on - timedelta(days=rng.randint(0, 200))
            common = {
                "resident_id": rid,
                "course_id": course,
                "name": name,
                "frequency": freq,
                "prescriber": rng.choice(PRESCRIBERS),
                "notes": None,
            }
            self.meds.append(
                stamp(
                    self.book,
                    {
                        "id": course,
                        "event": "start",
                        "effective_on": started,
                        "dose": dose,
                        **common,
                        "created_at": self._at(admitted_on),
                    },
                )
            )
            later = min(self.today, admitted_on + timedelta(days=rng.randint(1, 60)))
            roll = rng.random()
            if roll < 0.25 and later > started:
                self.meds.append(
                    stamp(
                        self.book,
                        {
                            "event": "change",
                            "effective_on": later,
                            **common,
                            "dose": f"2 x {dose}",
                            "notes": "Dose increased at review.",
                            "created_at": self._at(later),
                        },
                    )
                )
            elif roll < 0.4 and later > started:
                self.meds.append(
                    stamp(
                        self.book,
                        {
                            "event": "stop",
                            "effective_on": later,
                            "dose": dose,
                            **common,
                            "created_at": self._at(later),
                        },
                    )
                )

    def consent_rows(self, rid: str, admitted_on: date) -> None:
        rng = self.rng
        for kind in ("information_sharing", "ctp_referral_if_overdose_risk", "contact_next_of_kin"):
            given = rng.random() < 0.9
            parties = (
                ["GP practice", "Community Treatment Provider", "Referring social worker"]
                if kind == "information_sharing" and given
                else []
            )
            self.consents.append(
                stamp(
                    self.book,
                    {
                        "resident_id": rid,
                        "kind": kind,
                        "given": given,
                        "parties": json.dumps(parties),
                        "recorded_on": admitted_on,
                        "recorded_by": rng.choice(self.workers),
                        "notes": None,
                        "superseded_by_id": None,
                        "created_at": self._at(admitted_on),
                    },
                )
            )

    def flush(self, label: str, done: int) -> None:
        book = self.book
        with book._write() as s:
            insert_rows(s, Resident, self.residents)
            insert_rows(s, Referral, self.referrals)
            insert_rows(s, Admission, self.admissions)
            insert_rows(s, MedicationEvent, self.meds)
            insert_rows(s, Consent, self.consents)
            insert_rows(s, Document, self.documents)
            # Synthetic data: one summary audit entry per batch (see the module docstring).
            append_audit(
                s,
                book,
                [
                    AuditItem(
                        "demo.populate",
                        "unit",
                        None,
                        None,
                        {
                            "batch": label,
                            "residents": len(self.residents),
                            "referrals": len(self.referrals),
                            "admissions": len(self.admissions),
                            "medication_events": len(self.meds),
                            "consents": len(self.consents),
                            "documents": len(self.documents),
                            "done": done,
                        },
                    )
                ],
            )
        self.reset()


def populate(book: Casebook, n: int, seed: int, progress: Callable[[int, int], None] | None = None) -> None:
    """Add `n` synthetic residents (and referrals around them) to an open demo unit."""
    rng = random.Random(seed)
    today = local_today(book.clock)
    with book._read() as s:
        workers = list(
            s.scalars(
                select(Account.id)
                .where(Account.role.in_(("key_worker", "senior")), Account.disabled.is_(False))
                .order_by(Account.username)
            )
        )
        ref_no = next_reference_no(s)
    if not workers:
        workers = [book.actor.id]
    unit_name = book.settings.get("unit_name")
    b = _Builder(book, rng, today, workers)
    n_current = min(n, max(round(n * 0.1), 15))
    stages = ["current"] * n_current + ["discharged"] * (n - n_current)
    rng.shuffle(stages)
    total = n
    for i, stage in enumerate(stages, start=1):
        b.resident(ref_no, stage)
        ref_no += 1
        if i % BATCH == 0 or i == n:
            b.flush("residents", i)
            if progress:
                progress(i, total)
    _referrals_only(b, n, unit_name)
    b.flush("referrals", n)
    try:
        from keyworker.demo_plans import add_plans_and_reviews
    except ModuleNotFoundError as e:
        if e.name != "keyworker.demo_plans":
            raise
    else:
        add_plans_and_reviews(book, seed)
    if progress:
        progress(total, total)


def _referrals_only(b: _Builder, n: int, unit_name: str) -> None:
    """Open referrals (some near or past the deadline), accepted ones awaiting admission, declines."""
    rng, today = b.rng, b.today
    # Received 0-9 working days ago, in this order so even a small demo has each case: 6+ days ago is
    # overdue, 4-5 days ago is near the deadline, 0-3 days ago is in time.
    offsets = (8, 4, 0, 5, 2, 7, 1, 9, 3, 6)
    for k in range(max(8, round(n * 0.01))):
        back = offsets[k % len(offsets)]
        day = add_working_days(today, -back) if is_working_day(today) else add_working_days(today, -back - 1)
        given, family, _ = b.person()
        dob = today - timedelta(days=rng.randint(19, 60) * 365)
        received = _received_at(rng, day)
        if received > b.book.clock.now():
            received = b.book.clock.now().astimezone(LONDON) - timedelta(minutes=30)
        b.referral(given, family, dob, received, "open")
    for _ in range(max(2, round(n * 0.005))):
        given, family, _ = b.person()
        day = add_working_days(today, -rng.randint(3, 15))
        b.referral(
            given, family, None, _received_at(rng, day), "accepted", b._at(add_working_days(day, 2), 15)
        )
    declines = []
    for _ in range(max(4, round(n * 0.03))):
        given, family, _ = b.person()
        day = b.start + timedelta(days=rng.randint(0, (today - b.start).days - 10))
        decided_day = add_working_days(day, rng.choice((1, 2, 3, 4, 5, 5, 7)))
        category = rng.choice(list(DECLINE_REASONS))
        declines.append(
            b.referral(
                given,
                family,
                None,
                _received_at(rng, day),
                "declined",
                b._at(decided_day, 15),
                decline=category,
            )
        )
    declines.sort(key=lambda r: r["decided_at"], reverse=True)
    # Letters are signed by whoever made the decision (a senior), not by the admin running the demo.
    with b.book._read() as s:
        decider = s.get(Account, b.workers[0]) if b.workers else None
        signer = (Signatory(decider.full_name, decider.job_title or "") if decider is not None
                  else Signatory(b.book.actor.full_name, ""))
    profile = b.book.unit_profile.get()
    for row in declines[:MAX_LETTERS]:
        pdf = decline_letter_pdf(
            Referral(**{k: v for k, v in row.items() if k != "archived"}),
            profile=profile,
            signed_by=signer,
            decided_at=row["decided_at"],
        )
        b.documents.append(
            stamp(
                b.book,
                {
                    "resident_id": None,
                    "referral_id": row["id"],
                    "kind": "decline_letter",
                    "title": f"Decline letter to {row['referrer_name']}",
                    "subject_id": row["id"],
                    "mime_type": "application/pdf",
                    "content": pdf,
                    "sha256": hashlib.sha256(pdf).hexdigest(),
                    "created_at": row["decided_at"],
                },
            )
        )

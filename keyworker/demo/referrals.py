"""Demo referrals: the referral behind every admission, and the ones still being decided (some
near or past the 5-working-day deadline), accepted ones waiting, and declines with reasons and,
for the newest, their decline letters (signed by the senior who decided)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from keyworker.clock import LONDON
from keyworker.db.caseload import Referral
from keyworker.db.foundation import Account
from keyworker.demo.rows import DemoRun, received_at
from keyworker.demo.vocabulary import CTPS, DECLINE_REASONS, REFERRERS, invent_person
from keyworker.documents.decline_letter import Signatory, decline_letter_pdf
from keyworker.imports.bulk import stamp
from keyworker.outbox.queue import Recipient
from keyworker.working_days import add_working_days, decision_due, is_working_day

# PDFs cost 10-30 ms each: the newest declines get letters; older synthetic ones keep their reasons only.
MAX_LETTERS = 60
# The newest decline letters are still in the outbox: the demo unit has no destination set up yet.
WAITING_LETTERS = 3


def populate(run: DemoRun) -> None:
    _referrals_only(run, run.n, run.unit_name)
    run.flush("referrals", run.n)


def referral(
    run: DemoRun,
    given: str,
    family: str,
    dob: date | None,
    received: datetime,
    status: str,
    decided: datetime | None = None,
    resident_id: str | None = None,
    decline: str | None = None,
) -> dict[str, Any]:
    rng, story = run.rng, run.history
    referrer = rng.choice(REFERRERS)
    recorder = story.recorder(run.workers[0])
    decider = story.decider(run.workers[0])
    row = stamp(
        run.book,
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
            "decided_by": decider if decided else None,
            "decline_category": decline,
            "decline_reason": DECLINE_REASONS[decline] if decline else None,
            "resident_id": resident_id,
            "created_at": received,
            "updated_at": decided or received,
            "created_by": recorder,
        },
    )
    run.referrals.append(row)
    # As the referrals service audits it: recorded as it arrives, decided by the manager.
    story.record(story.minutes(received, 40), recorder, "referral.create", "referral", row["id"],
                 category=row["category"])
    if decided is not None:
        in_time = decided.astimezone(LONDON).date() <= row["decision_due_on"]
        if decline:
            story.record(decided, decider, "referral.decline", "referral", row["id"], category=decline,
                         within_deadline=in_time)
        else:
            story.record(decided, decider, "referral.accept", "referral", row["id"], within_deadline=in_time)
    return row


def admitted_referral(
    run: DemoRun, given: str, family: str, dob: date, resident_id: str, admitted_on: date
) -> str:
    received_day = admitted_on - timedelta(days=run.rng.randint(8, 40))
    received = received_at(run.rng, received_day)
    decided_day = add_working_days(received_day, run.rng.choice((1, 2, 3, 4, 5, 5, 6)))
    decided = run.at(min(decided_day, admitted_on), 14)
    return referral(run, given, family, dob, received, "admitted", decided, resident_id)["id"]


def _stable_dob(given: str, family: str, today: date) -> date:
    """A date of birth 19-60 years back, from the name: the referral's form has one to carry into
    the admission, and the demo's random sequence (the same unit for a seed) is left as it was."""
    n = int.from_bytes(hashlib.sha256(f"{given} {family}".encode()).digest()[:4], "big")
    return today - timedelta(days=365 * 19 + n % (365 * 41))


def _referrals_only(b: DemoRun, n: int, unit_name: str) -> None:
    """Open referrals (some near or past the deadline), accepted ones awaiting admission, declines."""
    rng, today = b.rng, b.today
    # Received 0-9 working days ago, in this order so even a small demo has each case: 6+ days ago is
    # overdue, 4-5 days ago is near the deadline, 0-3 days ago is in time.
    offsets = (8, 4, 0, 5, 2, 7, 1, 9, 3, 6)
    for k in range(max(8, round(n * 0.01))):
        back = offsets[k % len(offsets)]
        day = add_working_days(today, -back) if is_working_day(today) else add_working_days(today, -back - 1)
        given, family, _ = invent_person(b.rng)
        dob = today - timedelta(days=rng.randint(19, 60) * 365)
        received = received_at(rng, day)
        if received > b.book.clock.now():
            received = b.book.clock.now().astimezone(LONDON) - timedelta(minutes=30)
        referral(b, given, family, dob, received, "open")
    for _ in range(max(2, round(n * 0.005))):
        given, family, _ = invent_person(b.rng)
        day = add_working_days(today, -rng.randint(3, 15))
        referral(b,
            given, family, _stable_dob(given, family, today), received_at(rng, day), "accepted",
            b.at(add_working_days(day, 2), 15)
        )
    declines = []
    for _ in range(max(4, round(n * 0.03))):
        given, family, _ = invent_person(b.rng)
        day = b.start + timedelta(days=rng.randint(0, (today - b.start).days - 10))
        decided_day = add_working_days(day, rng.choice((1, 2, 3, 4, 5, 5, 7)))
        category = rng.choice(list(DECLINE_REASONS))
        declines.append(
            referral(b,
                given,
                family,
                _stable_dob(given, family, today),
                received_at(rng, day),
                "declined",
                b.at(decided_day, 15),
                decline=category,
            )
        )
    declines.sort(key=lambda r: r["decided_at"], reverse=True)
    # Letters are signed by whoever made the decision (a senior), not by the admin running the demo.
    with b.book._read() as s:
        decider = s.get(Account, b.history.decider(b.workers[0])) if b.workers else None
        signer = (Signatory(decider.full_name, decider.job_title or "") if decider is not None
                  else Signatory(b.book.actor.full_name, ""))
    profile = b.book.unit_profile.get()
    for n, row in enumerate(declines[:MAX_LETTERS]):
        pdf = decline_letter_pdf(
            Referral(**{k: v for k, v in row.items() if k != "archived"}),
            profile=profile,
            signed_by=signer,
            decided_at=row["decided_at"],
        )
        doc = stamp(
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
                "created_by": row["decided_by"],
            },
        )
        b.documents.append(doc)
        if n < WAITING_LETTERS:
            b.outbox.append((doc, Recipient(row["referrer_name"], row.get("referrer_email"), "referrer")))


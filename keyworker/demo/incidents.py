"""Demo incidents, domestic abuse checklists, MARAC and safeguarding referrals.

Run after the residents and their admissions exist. About a third of placements have an incident
or two (many at night, logged by the night worker), about one in eight a domestic abuse checklist
from the first fortnight (some at 14 or more "yes" with a MARAC referral a day or two later, some
raised by judgement), a few with three domestic abuse incidents in a year, and safeguarding
referrals for the safeguarding concerns, some with their outcome. Its own random stream, so the
other areas' demo data stay the same for a seed."""
from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from keyworker import da_checklist as da
from keyworker.clock import LONDON
from keyworker.db.caseload import Admission
from keyworker.db.foundation import Account
from keyworker.db.incidents import DaChecklist, Incident, SafeguardingReferral
from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp

BATCH = 4000  # admissions per transaction

# (type, weight, what happened, actions taken)
INCIDENTS: list[tuple[str, int, str, str]] = [
    ("relapse", 5, "Smelt of alcohol on return from a community visit; admitted drinking two cans.",
     "Breathalysed; harm-reduction talk; key worker informed; plan reviewed next morning."),
    ("relapse", 3, "Found using cannabis in the garden after evening group.",
     "Substance removed and logged; resident spoken to; urine screen arranged."),
    ("violence", 4, "Argument with another resident over the television became shouting and a shove.",
     "Residents separated; both spoken to; de-escalation; no injuries."),
    ("self_harm", 2, "Resident disclosed cutting their forearm after a difficult phone call.",
     "First aid given; wound checked; crisis team number given; observations every hour."),
    ("absconding", 2, "Left the unit without telling staff at 21:30; not answering the phone.",
     "Missing person procedure followed; police informed; returned at 01:10."),
    ("police", 1, "Police attended about an outstanding warrant.", "Resident cooperated; key worker informed."),
    ("safeguarding", 2, "Disclosed that their children are being left with an adult who uses heroin.",
     "Manager informed; children's social care contacted the same day."),
    ("medical", 2, "Resident had a seizure in the lounge, lasting about two minutes.",
     "Recovery position; ambulance called; taken to A&E; returned the next day."),
    ("other", 1, "Fire alarm set off by cooking in the resident kitchen.", "Building cleared; fire service stood down."),
]
_WEIGHTS = [w for _, w, _, _ in INCIDENTS]
AGENCIES = {"children": "Lancashire Children's Social Care", "adults": "Lancashire Adult Social Care"}
OUTCOMES = ["Strategy meeting held; children's plan agreed.", "No further action; advice given.",
            "Assessment under way; the unit is kept informed."]


def _stay_end(a: Any, today: date) -> date:
    return min(a.discharged_on or today, today - timedelta(days=1))


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def populate(run: DemoRun) -> None:
    book, today = run.book, run.today
    rng = random.Random(run.seed * 31337 + 10)
    with book._read() as s:
        adms = s.execute(select(Admission.id, Admission.resident_id, Admission.admitted_on, Admission.discharged_on,
                                Admission.key_worker_id).order_by(Admission.admitted_on, Admission.id)).all()
        staff = s.execute(select(Account.id, Account.full_name, Account.role)
                          .where(Account.disabled.is_(False)).order_by(Account.username)).all()
    names = {a.id: a.full_name for a in staff}
    nights = [a.id for a in staff if a.role == "out_of_hours"]
    seniors = [a.id for a in staff if a.role == "senior"]
    for i in range(0, len(adms), BATCH):
        rows = _Rows()
        for a in adms[i:i + BATCH]:
            if _stay_end(a, today) < a.admitted_on:
                continue
            _incidents(run, rng, rows, a, nights, names, today)
            if rng.random() < 0.13:
                _domestic_abuse(run, rng, rows, a, seniors, names, today)
        rows.write(run)


class _Rows:
    def __init__(self) -> None:
        self.incidents: list[dict[str, Any]] = []
        self.checklists: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []

    def write(self, run: DemoRun) -> None:
        with run.book._write() as s:
            insert_rows(s, Incident, self.incidents)
            insert_rows(s, DaChecklist, self.checklists)
            insert_rows(s, SafeguardingReferral, self.referrals)
            append_audit(s, run.book, [AuditItem("demo.incidents", "unit", None, None, {
                "incidents": len(self.incidents), "checklists": len(self.checklists),
                "referrals": len(self.referrals)})])


def _incident_row(run: DemoRun, rows: _Rows, a: Any, at: datetime, by: str, kind: str, what: str, actions: str,
                  **extra: Any) -> dict[str, Any]:
    row = stamp(run.book, {
        "resident_id": a.resident_id, "occurred_at": at, "kind": kind, "description": what,
        "people_involved": extra.pop("people", None), "actions_taken": actions,
        "domestic_abuse": extra.pop("domestic_abuse", False), "police_involved": kind in ("police", "absconding"),
        "police_reference": extra.pop("police_reference", None), "safeguarding_referral": kind == "safeguarding",
        "safeguarding_to": AGENCIES["children"] if kind == "safeguarding" else None,
        "safeguarding_reference": None, "created_at": at + timedelta(minutes=25), "created_by": by})
    rows.incidents.append(row)
    run.history.record(row["created_at"], by, "incident.record", "incident", row["id"], a.resident_id,
                       kind=kind, occurred_at=at.isoformat())
    return row


def _incidents(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, nights: list[str], names: dict[str, str],
               today: date) -> None:
    if rng.random() >= 0.35:
        return
    end = _stay_end(a, today)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        kind, _w, what, actions = rng.choices(INCIDENTS, weights=_WEIGHTS)[0]
        day = a.admitted_on + timedelta(days=rng.randint(0, (end - a.admitted_on).days))
        at_night = bool(nights) and rng.random() < 0.5
        at = _at(day, rng.choice((21, 22, 23)) if at_night else rng.randint(9, 19), rng.choice((0, 10, 25, 40, 55)))
        by = rng.choice(nights) if at_night else a.key_worker_id
        row = _incident_row(run, rows, a, at, by, kind, what, actions,
                            police_reference=f"LC-{at:%y%m%d}-{rng.randint(1000, 9999)}" if kind == "police" else None)
        if kind == "safeguarding":
            day_after = at + timedelta(hours=14)
            _referral(run, rng, rows, a, "children", day_after, a.key_worker_id, names, incident_id=row["id"])


def _referral(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, kind: str, at: datetime, by: str,
              names: dict[str, str], **links: Any) -> None:
    made = at.astimezone(LONDON).date()
    row = stamp(run.book, {
        "resident_id": a.resident_id, "kind": kind, "referred_on": made,
        "agency": "MARAC" if kind == "marac" else AGENCIES[kind], "made_by": names.get(by, ""), "reference": f"{'MARAC' if kind == 'marac' else 'SG'}/{made:%y}/"
        f"{rng.randint(100, 999)}", "outcome": rng.choice(OUTCOMES) if kind != "marac" and rng.random() < 0.6 else None,
        "incident_id": links.get("incident_id"), "checklist_id": links.get("checklist_id"), "risk_assessment_id": None,
        "grounds": links.get("grounds"), "created_at": at, "created_by": by})
    rows.referrals.append(row)
    run.history.record(at, by, "safeguarding.referral", "safeguarding_referral", row["id"], a.resident_id,
                       kind=kind, referred_on=made.isoformat())


def _domestic_abuse(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, seniors: list[str],
                    names: dict[str, str], today: date) -> None:
    end = _stay_end(a, today)
    day = min(a.admitted_on + timedelta(days=rng.randint(1, 14)), end)
    yes = rng.choice((3, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18))
    answers = {n: "no" for n in da.QUESTIONS}
    for n in rng.sample(sorted(da.QUESTIONS), yes + rng.randint(0, 3)):
        answers[n] = "yes"
    for n in [n for n in answers if answers[n] == "yes"][yes:]:
        answers[n] = "not_known"
    visible = da.level_for(yes)
    raised = visible == da.MEDIUM and rng.random() < 0.3
    level = da.HIGH if raised else visible
    at = _at(day, rng.randint(10, 16), 0)
    by = a.key_worker_id
    row = stamp(run.book, {
        "resident_id": a.resident_id, "completed_on": day, "answers": json.dumps({str(k): answers[k] for k in answers}),
        "yes_count": yes, "visible_level": visible, "level": level,
        "judgement_reason": "Recent threats to kill after the resident ended the relationship" if raised else None,
        "notes": None, "created_at": at, "created_by": by})
    rows.checklists.append(row)
    run.history.record(at, by, "da_checklist.record", "da_checklist", row["id"], a.resident_id,
                       completed_on=day.isoformat(), raised=raised)
    if level == da.HIGH and day + timedelta(days=2) <= end:
        who = rng.choice(seniors) if seniors and rng.random() < 0.4 else by
        _referral(run, rng, rows, a, "marac", at + timedelta(days=rng.randint(1, 2)), who, names, checklist_id=row["id"],
                  grounds="judgement" if raised else "visible_high")
    # Some go on to three domestic abuse incidents in a year: "potential escalation".
    if rng.random() < 0.35 and (end - day).days >= 21:
        for k in range(3):
            on = day + timedelta(days=7 * (k + 1))
            _incident_row(run, rows, a, _at(on, 19, 30), by, "violence",
                          "Ex-partner phoned the unit repeatedly and made threats to the resident.",
                          "Calls logged; resident supported; police non-emergency line informed.",
                          domestic_abuse=True, people="Resident; ex-partner (by phone)")

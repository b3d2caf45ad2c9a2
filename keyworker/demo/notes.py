"""Demo case notes and contacts. Current residents get notes across the shifts of their last three
weeks (days by their key worker, nights by the night worker), handover notes flagged for the next
shift (last night's still open, older ones acknowledged by the morning), contacts with family,
carers, the referrer, the Community Treatment Provider, the GP and other agencies as their
consents allow (a safeguarding contact as the recorded exception), and a few corrections. Past
residents get a note on arrival and on their last day. Every note and contact is in the search
index and in the History by whoever made it. Its own random stream."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text

from keyworker.clock import LONDON
from keyworker.db.caseload import Admission, Consent, Resident
from keyworker.db.foundation import Account
from keyworker.db.notes import CaseNote, ContactLog
from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.note_search import resident_token

BATCH = 4000
RECENT_DAYS = 21

DAY_NOTES = [
    ("general", "{n} attended morning group and took part in the discussion about triggers."),
    ("general", "{n} spent the afternoon in the allotment with peers; good mood."),
    ("health", "{n} collected prescription; reports sleeping better since the thiamine started."),
    ("health", "{n} complained of a headache; paracetamol taken as prescribed, checked an hour later: better."),
    ("behaviour", "{n} was short with staff after a phone call; talked it through and apologised."),
    ("family_contact", "{n} had a phone call with their sister; said it went well and asked about a visit."),
    ("general", "{n} cooked the evening meal for the house with support; proud of it."),
    ("health", "{n} went to the GP surgery for bloods; results due next week."),
]
NIGHT_NOTES = [
    ("handover", "{n} settled by 23:00; checks every two hours; slept through."),
    ("handover", "{n} up at 02:00 asking for a drink; anxious about court next week; reassured."),
    ("behaviour", "{n} in the lounge past curfew with another resident; asked to go to their room, did so."),
    ("health", "{n} reported cravings around midnight; used distraction plan and a hot drink; settled."),
]
FLAGGED = [
    "{n} asked to speak to their key worker first thing about the family visit on Saturday.",
    "{n} low in mood overnight; please check in this morning and review the risk plan if no better.",
    "{n} has a dentist appointment at 10:30 today: make sure transport is booked.",
]
CORRECTIONS = [("Wrong resident's name in the first line", "{n} attended morning group and spoke about their mother."),
               ("Time was wrong", "{n} settled by 23:30; checks every two hours; slept through.")]
# (party kind, consent needed, name, method, direction, summary)
CONTACTS = [
    ("family", "contact_next_of_kin", "Their mother", "phone", "out",
     "Let her know {n} has settled; she would like to visit on Sunday."),
    ("carer", "contact_next_of_kin", "Their partner (carer)", "visit", "in",
     "Visited for an hour in the garden; talked about plans for going home."),
    ("referrer", "information_sharing", "Referring social worker", "email", "out",
     "Update on the first fortnight: engaging well, care plan agreed."),
    ("ctp", "information_sharing", "Inspire Preston", "phone", "out",
     "Discussed aftercare and the referral back on discharge."),
    ("gp", "information_sharing", "Fishergate Surgery", "letter", "in",
     "Letter confirming repeat prescription and blood test results."),
]
SAFEGUARDING = ("agency", "Lancashire Children's Social Care", "phone", "out",
                "Shared the concern raised in key work about the children's care.",
                "Children at risk: a safeguarding duty outweighs the resident's refusal")


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def populate(run: DemoRun) -> None:
    book = run.book
    rng = random.Random(run.seed * 7919 + 11)
    now = book.clock.now()
    with book._read() as s:
        adms = s.execute(select(Admission.resident_id, Admission.admitted_on, Admission.discharged_on,
                                Admission.key_worker_id, Resident.given_name, Resident.preferred_name)
                         .join(Resident, Resident.id == Admission.resident_id)
                         .order_by(Admission.admitted_on, Admission.id)).all()
        nights = list(s.scalars(select(Account.id).where(Account.role == "out_of_hours", Account.disabled.is_(False))))
        consents: dict[tuple[str, str], bool] = {
            (r, k): g for r, k, g in s.execute(select(Consent.resident_id, Consent.kind, Consent.given)
                                               .where(Consent.superseded_by_id.is_(None))).tuples()}
    for i in range(0, len(adms), BATCH):
        rows = _Rows()
        for j, a in enumerate(adms[i:i + BATCH], start=i):
            if j % 100 == 0:
                run.tick(j, len(adms))
            name = a.preferred_name or a.given_name
            if a.discharged_on is None:
                _current(run, rng, rows, a, name, nights, consents, now)
            else:
                for day, hour in ((a.admitted_on, 15), (a.discharged_on, 11)):
                    if _at(day, hour, 0) < now:
                        rows.note(run, a.resident_id, _at(day, hour, 10), a.key_worker_id, "general",
                                  f"{name} {'arrived and was shown round' if day == a.admitted_on else 'left today'}.")
        rows.write(run)


def _current(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, name: str, nights: list[str],
             consents: dict[tuple[str, str], bool], now: datetime) -> None:
    today = now.astimezone(LONDON).date()
    first = max(a.admitted_on, today - timedelta(days=RECENT_DAYS))
    day = first
    while day <= today:
        for _ in range(rng.choice((1, 1, 2))):
            cat, words = rng.choice(DAY_NOTES)
            at = _at(day, rng.randint(9, 19), rng.choice((5, 20, 35, 50)))
            if at < now:
                row = rows.note(run, a.resident_id, at, a.key_worker_id, cat, words.format(n=name))
                if rng.random() < 0.02:
                    why, fixed = CORRECTIONS[0]
                    rows.correct(run, row, why, fixed.format(n=name))
        if nights and rng.random() < 0.8:
            cat, words = rng.choice(NIGHT_NOTES)
            at = _at(day + timedelta(days=1), rng.randint(0, 5), rng.choice((10, 30, 45)))
            last_night = day + timedelta(days=1) == today
            if at < now:
                by = rng.choice(nights)
                if rng.random() < (0.5 if last_night else 0.15):
                    ack = None if last_night else _at(day + timedelta(days=1), 8, 15)
                    rows.note(run, a.resident_id, at, by, "handover", rng.choice(FLAGGED).format(n=name),
                              flagged=True, acknowledged=(ack, a.key_worker_id) if ack else None)
                else:
                    row = rows.note(run, a.resident_id, at, by, cat, words.format(n=name))
                    if rng.random() < 0.02:
                        why, fixed = CORRECTIONS[1]
                        rows.correct(run, row, why, fixed.format(n=name))
        day += timedelta(days=1)
    for kind, consent, who, method, direction, summary in CONTACTS:
        if consents.get((a.resident_id, consent)) and rng.random() < 0.6:
            day = first + timedelta(days=rng.randint(0, max(0, (today - first).days - 1)))
            rows.contact(run, a.resident_id, _at(day, rng.randint(10, 16), 0), a.key_worker_id, kind, who, method,
                         direction, summary.format(n=name))
    if rng.random() < 0.05:
        kind, who, method, direction, summary, reason = SAFEGUARDING
        rows.contact(run, a.resident_id, _at(first, 16, 30), a.key_worker_id, kind, who, method, direction,
                     summary, safeguarding_reason=reason)


class _Rows:
    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.index: list[dict[str, Any]] = []

    def _indexed(self, kind: str, row: dict[str, Any], body: str) -> None:
        self.index.append({"kind": kind, "record_id": row["id"], "resident_id": row["resident_id"], "body": body,
                           "rtoken": resident_token(row["resident_id"])})

    def note(self, run: DemoRun, rid: str, at: datetime, by: str, category: str, words: str, *,
             flagged: bool = False, acknowledged: tuple[datetime, str] | None = None) -> dict[str, Any]:
        row = stamp(run.book, {
            "resident_id": rid, "about_at": at, "category": category, "text": words, "for_next_shift": flagged,
            "acknowledged_at": acknowledged[0] if acknowledged else None,
            "acknowledged_by": acknowledged[1] if acknowledged else None, "supersedes_id": None,
            "superseded_by_id": None, "correction_reason": None, "created_at": at + timedelta(minutes=5),
            "created_by": by})
        self.notes.append(row)
        self._indexed("note", row, words)
        run.history.record(row["created_at"], by, "note.write", "case_note", row["id"], rid, category=category,
                           for_next_shift=flagged)
        if acknowledged:
            run.history.record(acknowledged[0], acknowledged[1], "note.acknowledge", "case_note", row["id"], rid)
        return row

    def correct(self, run: DemoRun, old: dict[str, Any], why: str, words: str) -> None:
        at = old["created_at"] + timedelta(minutes=40)
        kept = {k: v for k, v in old.items() if k not in ("id", "updated_at")}
        new = stamp(run.book, {**kept, "text": words, "supersedes_id": old["id"], "correction_reason": why,
                               "created_at": at})
        old["superseded_by_id"] = new["id"]
        self.notes.append(new)
        if self.index and self.index[-1]["record_id"] == old["id"]:
            self.index.pop()  # the corrected text is no longer found
        self._indexed("note", new, words)
        run.history.record(at, old["created_by"], "note.correct", "case_note", new["id"], old["resident_id"],
                           supersedes=old["id"])

    def contact(self, run: DemoRun, rid: str, at: datetime, by: str, kind: str, who: str, method: str,
                direction: str, summary: str, safeguarding_reason: str | None = None) -> None:
        row = stamp(run.book, {
            "resident_id": rid, "at": at, "party_kind": kind, "with_name": who, "method": method,
            "direction": direction, "summary": summary, "safeguarding": safeguarding_reason is not None,
            "safeguarding_reason": safeguarding_reason, "supersedes_id": None, "superseded_by_id": None,
            "correction_reason": None, "created_at": at + timedelta(minutes=10), "created_by": by})
        self.contacts.append(row)
        self._indexed("contact", row, f"{who}\n{summary}\n{safeguarding_reason or ''}")
        run.history.record(row["created_at"], by, "contact.log", "contact", row["id"], rid, party_kind=kind,
                           method=method, safeguarding=row["safeguarding"])

    def write(self, run: DemoRun) -> None:
        with run.book._write() as s:
            insert_rows(s, CaseNote, self.notes)
            insert_rows(s, ContactLog, self.contacts)
            conn = s.connection()
            start = int(conn.execute(text("SELECT coalesce(max(rowid), 0) FROM note_search_rows")).scalar_one()) + 1
            for n, x in enumerate(self.index):
                x["rowid"] = start + n
            if self.index:
                conn.execute(text("INSERT INTO note_search_rows (rowid, kind, record_id, resident_id) "
                                  "VALUES (:rowid, :kind, :record_id, :resident_id)"), self.index)
                conn.execute(text("INSERT INTO note_search (rowid, body, rtoken) VALUES (:rowid, :body, :rtoken)"),
                             self.index)
            append_audit(s, run.book, [AuditItem("demo.notes", "unit", None, None, {
                "notes": len(self.notes), "contacts": len(self.contacts)})])


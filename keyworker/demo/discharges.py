"""Demo discharges (issue 13), run after the residents, risk assessments and incidents exist.

Every past stay ends with its discharge row. A planned one has its completed discharge plan (the
meeting, who came, the route, aftercare, recommendations, both sign-offs) and, for a completed
programme, its 3- and 6-month follow-ups scheduled through `follow_ups_schedule.schedule` (those
now past were tried by phone or letter: done with an outcome, not contactable or declined; the
recent ones are still due, some with a first attempt). An unplanned one is a self-discharge,
an absconding or a disciplinary discharge, agreed by a senior (by password, by phone, or signed
in), with some of its notification checklist and, for the most recent, the complete summary
made (a real PDF through the service's own builder). The latest two unplanned discharges are
still awaiting senior confirmation and the next two have their complete summary overdue, so the
Discharges page, Today and `check --json` have something to show. Freezes: one current resident
frozen now (detained under the Mental Health Act), one frozen and resumed after reassessment, and
one past resident frozen, then discharged. No current resident is discharged here: discharged
ones are the past residents people.py made. Its own random stream, so the other areas' demo
data stay the same for a seed."""
from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from keyworker import discharge_reasons as dr
from keyworker.clock import LONDON
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge, DischargeNotification, DischargePlan, FollowUpAttempt
from keyworker.db.documents import Document
from keyworker.db.foundation import Account
from keyworker.demo.rows import DemoRun
from keyworker.discharges import DEFAULT_REASONS, summary_due
from keyworker.follow_ups_schedule import schedule
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp

SUMMARIES_MADE = 6  # the most recent unplanned discharges get a real complete summary (a PDF each)

CIRCUMSTANCES = {
    "self_discharge": ["Packed a bag after a phone call and left; would not wait to talk it through.",
                       "Said they had had enough of the rules and walked out after morning group.",
                       "Left after an argument with another resident; declined a taxi to a safe address."],
    "absconded": ["Not in their room at the 23:00 check; belongings gone; not answering the phone.",
                  "Went out for a walk and did not come back; last seen at the bus stop."],
    "disciplinary": ["Brought alcohol into the unit for the second time after a final warning; reasons given "
                     "to the referring service by phone the same day.",
                     "Threatened a member of staff; the placement was ended and the reasons given to the referrer."],
}
DESTINATIONS = ["Mother's house in Preston", "A friend's flat in Blackburn", "Not known: not answering",
                "Night shelter, Preston", "Partner's address in Chorley"]
ROUTES = ["completed_to_community", "transfer_further_residential"]
MUTUAL_AID = ["SMART Recovery", "Alcoholics Anonymous", "Narcotics Anonymous", "Cocaine Anonymous"]
ATTEMPT_METHODS = ["phone", "phone", "letter", "secure_email"]
PLANNED_REASONS = [r.code for r in dr.reasons() if r.offered_for("planned")]
COMPLETED = {r.code for r in dr.reasons() if r.completed}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def populate(run: DemoRun) -> None:
    book, today = run.book, run.today
    rng = random.Random(run.seed * 7919 + 13)
    with book._read() as s:
        adms = s.execute(select(Admission.id, Admission.resident_id, Admission.admitted_on, Admission.discharged_on,
                                Admission.discharge_type, Admission.key_worker_id)
                         .order_by(Admission.discharged_on, Admission.admitted_on, Admission.id)).all()
        staff = s.execute(select(Account.id, Account.role).where(Account.disabled.is_(False))
                          .order_by(Account.username)).all()
    seniors = [a.id for a in staff if a.role == "senior"] or [book.actor.id]
    nights = [a.id for a in staff if a.role == "out_of_hours"]
    past = [a for a in adms if a.discharged_on is not None and a.discharged_on >= a.admitted_on]
    current = [a for a in adms if a.discharged_on is None and a.admitted_on <= today - timedelta(days=14)]
    unplanned = [a for a in past if a.discharge_type != "planned"]
    # Newest first: the latest two await a senior, the next two are overdue, the next have summaries.
    newest = sorted(unplanned, key=lambda a: (a.discharged_on, a.id), reverse=True)
    here = {a.resident_id for a in adms if a.discharged_on is None}  # back in the unit now
    awaiting = {a.id for a in newest[:2]}
    overdue = {a.id for a in newest[2:4] if a.discharged_on <= today - timedelta(days=2)}
    # (Not for a past stay of someone back in the unit: the build's own account makes those papers,
    # and a current resident's story is told by their key worker alone.)
    summaries = [a.id for a in newest[4:] if a.resident_id not in here][:SUMMARIES_MADE]
    frozen_then_discharged = newest[4].id if len(newest) > 4 else None

    discharges: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for i, a in enumerate(past):
        if i % 100 == 0:
            run.tick(i, 2 * len(past))  # the stays' ends are the first half of the work, the follow-ups the rest
        kw = a.key_worker_id or seniors[0]
        senior = rng.choice(seniors)
        if a.discharge_type == "planned":
            reason = rng.choice(PLANNED_REASONS) if rng.random() < 0.25 else "completed_drug_free"
            at = _at(a.discharged_on, 11, rng.choice((0, 15, 30)))
            d = stamp(book, {"admission_id": a.id, "resident_id": a.resident_id, "path": "planned",
                             "type": "planned_completed" if reason in COMPLETED else "planned_transfer",
                             "ends_stay": True, "reason_code": reason, "occurred_at": at,
                             "state": "confirmed", "second_person_id": senior, "second_how": "signed_in",
                             "confirmed_at": at, "summary_due_at": summary_due(at), "summary_sent_at": at,
                             "created_at": at, "created_by": kw})
            discharges.append(d)
            plans.append(_plan(book, rng, a, d, kw, senior))
            if a.resident_id not in here:
                # The senior's sign-off (the planning service's own actions come with it, issue 13's P1).
                run.history.record(at, senior, "discharge.confirm", "discharge", d["id"], a.resident_id,
                                   how="signed_in")
            continue
        kind = rng.choices(("self_discharge", "absconded", "disciplinary"), weights=(5, 3, 2))[0]
        night = bool(nights) and kind != "disciplinary" and rng.random() < 0.5
        at = _at(a.discharged_on, rng.choice((21, 22, 23)) if night else rng.randint(9, 18), rng.choice((5, 20, 40)))
        by = rng.choice(nights) if night else kw
        state = "confirmed"
        how: str | None = rng.choice(("password", "phone", "signed_in"))
        confirmed_at: datetime | None = at + timedelta(minutes=rng.randint(10, 600))
        if a.id in awaiting:
            state, confirmed_at = "awaiting_senior", None
            how = "phone" if a.id == newest[0].id else None
        sent = None if a.id in overdue or a.id in awaiting else at + timedelta(hours=rng.randint(3, 20))
        overdose = rng.random() < 0.4
        homeless = kind != "disciplinary" and rng.random() < 0.3
        d = stamp(book, {
            "admission_id": a.id, "resident_id": a.resident_id, "path": "unplanned", "type": kind, "ends_stay": True,
            "reason_code": DEFAULT_REASONS[kind], "occurred_at": at,
            "circumstances": rng.choice(CIRCUMSTANCES[kind]), "destination": rng.choice(DESTINATIONS),
            "night_reason": "Would not stay; staff could not keep them against their will." if night else None,
            "overdose_risk": overdose, "naloxone_supplied": overdose, "harm_reduction_advice": overdose,
            "ctp_consent": None, "ctp_referral_made": False, "homelessness_risk": homeless,
            "council_name": "Preston City Council" if homeless else None, "council_referral_made": homeless,
            "state": state, "second_person_id": senior if how else None, "second_how": how,
            "phone_agreed_at": at + timedelta(minutes=5) if how == "phone" else None, "confirmed_at": confirmed_at,
            "summary_due_at": summary_due(at), "summary_sent_at": sent, "created_at": at, "created_by": by})
        discharges.append(d)
        # A resident back in the unit has their current story told by their key worker alone: the
        # earlier stay's ending is in the records, not retold in their trail.
        if a.resident_id not in here:
            run.history.record(at, by, "discharge.record_unplanned", "discharge", d["id"], a.resident_id, type=kind,
                               occurred_at=at.isoformat(), night=night, freeze=False)
        if confirmed_at is not None and a.resident_id not in here:
            run.history.record(confirmed_at, senior, "discharge.confirm", "discharge", d["id"], a.resident_id,
                               how=how)
        for party in rng.sample(["referrer", "ctp", "gp", "rio", "probation"], rng.randint(1, 4)):
            told = at + timedelta(minutes=rng.randint(20, 240))
            notes.append(stamp(book, {"discharge_id": d["id"], "party": party, "method": rng.choice(
                ("phone", "secure_email")), "at": told, "by_id": by, "contact": None,
                "outcome": "Told; they will follow up.", "created_at": told, "created_by": by}))
        if a.id == frozen_then_discharged and (a.discharged_on - a.admitted_on).days >= 6:
            fat = _at(a.discharged_on - timedelta(days=3), 15)
            discharges.append(stamp(book, {
                "admission_id": a.id, "resident_id": a.resident_id, "path": "unplanned", "type": "freeze_police",
                "ends_stay": False, "reason_code": None, "occurred_at": fat,
                "circumstances": "Arrested at the unit on an outstanding warrant.", "destination": "Preston police station",
                "state": "frozen", "summary_due_at": summary_due(fat), "summary_sent_at": fat + timedelta(hours=4),
                "created_at": fat, "created_by": kw}))
    freezes = _freezes(run, rng, current, seniors, today)
    discharges += freezes

    discharges = _uniform(discharges)
    with book._write() as s:
        insert_rows(s, Discharge, discharges)
        insert_rows(s, DischargePlan, plans)
        insert_rows(s, DischargeNotification, notes)
        follow_ups, attempts = _follow_ups(s, book, rng, [d for d in discharges if d["path"] == "planned"
                                                       and d["reason_code"] in COMPLETED], today, run.tick)
        insert_rows(s, FollowUpAttempt, attempts)
        append_audit(s, book, [AuditItem("demo.discharges", "unit", None, None, {
            "discharges": len(discharges), "plans": len(plans), "notifications": len(notes),
            "follow_ups": follow_ups, "attempts": len(attempts)})])
    for a_id in summaries:
        with book._write() as s:
            row = s.scalars(select(Discharge).where(Discharge.admission_id == a_id,
                                                    Discharge.ends_stay.is_(True))).one()
            if row.summary_sent_at is None:
                continue
            signer = rng.choice(seniors)
            book.discharges._make_summary(s, row, signer)
            doc = s.get(Document, row.letter_document_id)
            if doc is not None:
                doc.created_by = signer
    _planned_letters(book, rng, seniors)


LETTERS_MADE = 8  # the most recent planned discharges get their signed letter (PDFs take time)


def _planned_letters(book: Any, rng: random.Random, seniors: list[str]) -> None:
    """The signed discharge letter of the latest planned discharges, built by the planned path's own
    builder, filed as it would be on signing, so printing summaries shows real letters."""
    from keyworker.db.caseload import Resident
    from keyworker.discharge_plans import LETTER_KIND

    with book._write() as s:
        # Not for a past stay of someone back in the unit (as for the summaries above): the build's
        # own account would file the paper, and a current resident's story is their key worker's.
        back = select(Admission.resident_id).where(Admission.discharged_on.is_(None))
        latest = s.execute(select(DischargePlan, Discharge).join(Discharge, Discharge.id == DischargePlan.discharge_id)
                           .where(Discharge.path == "planned", Discharge.resident_id.not_in(back))
                           .order_by(Discharge.occurred_at.desc()).limit(LETTERS_MADE)).tuples().all()
        for plan, d in latest:
            res, adm = s.get(Resident, d.resident_id), s.get(Admission, d.admission_id)
            if res is None or adm is None:
                continue
            pdf = book.discharge_plans._letter(s, res, adm, plan, draft=False)
            doc = book.documents._store(s, kind=LETTER_KIND, title=f"Discharge letter ({res.reference})",
                                        content=pdf, resident_id=res.id, subject_id=d.id)
            doc.created_by = rng.choice(seniors)
            plan.letter_document_id = d.letter_document_id = doc.id


BOOLEANS = ("overdose_risk", "naloxone_supplied", "harm_reduction_advice", "ctp_referral_made", "homelessness_risk",
            "council_referral_made")


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with the same keys (one executemany): what a row does not say is empty or no."""
    keys = {k for r in rows for k in r}
    return [{k: r.get(k, False if k in BOOLEANS else None) for k in keys} for r in rows]


def _plan(book: Any, rng: random.Random, a: Any, d: dict[str, Any], kw: str, senior: str) -> dict[str, Any]:
    on = a.discharged_on
    meeting = max(a.admitted_on, on - timedelta(days=rng.randint(7, 21)))
    aftercare = {"mutual_aid": rng.sample(MUTUAL_AID, 2), "ctp": "Inspire Lancashire",
                 "housing": rng.choice(("Own tenancy", "Supported housing: Foxton Centre", "Family home")),
                 "housing_referral_made": rng.random() < 0.5, "home_visits_made": rng.random() < 0.6,
                 "gp": "Fishergate Surgery", "other": ""}
    return stamp(book, {
        "admission_id": a.id, "resident_id": a.resident_id, "meeting_on": meeting,
        "attendees": json.dumps([{"name": "The resident", "role": "Resident"}, {"name": "Key worker", "role": "Key worker"},
                                 {"name": "Referring social worker", "role": "Referrer"}]),
        "referrer_invited": rng.random() < 0.9, "planned_date": on, "route": rng.choice(ROUTES),
        "reason_code": d["reason_code"], "aftercare": json.dumps(aftercare),
        "recommendations": "Keep going to mutual aid twice a week; see the GP about sleep; stay in touch with the "
                           "Community Treatment Provider.",
        "goals_achieved": "Abstinent throughout the stay; completed the relapse prevention group; reconnected "
                          "with family.",
        "medication_on_discharge": "As on the medication record at discharge.", "state": "completed",
        "discharge_id": d["id"], "key_worker_signed_by": kw, "senior_signed_by": senior,
        "senior_signed_at": d["occurred_at"], "created_at": _at(meeting, 14), "created_by": kw})


def _freezes(run: DemoRun, rng: random.Random, current: list[Any], seniors: list[str],
             today: date) -> list[dict[str, Any]]:
    book = run.book
    rows: list[dict[str, Any]] = []
    for i, (kind, what, where) in enumerate((
            ("freeze_mha_acute", "Became acutely unwell; assessed under the Mental Health Act and detained.",
             "The Harbour, Blackpool (acute ward)"),
            ("freeze_police", "Removed by police after an incident in town.", "Blackburn police station"))):
        if i >= len(current):
            break
        a = current[-(i + 1)]
        at = _at(today - timedelta(days=3 if i == 0 else 10), 16)
        if at.date() <= a.admitted_on:
            continue
        row = stamp(book, {
            "admission_id": a.id, "resident_id": a.resident_id, "path": "unplanned", "type": kind, "ends_stay": False,
            "reason_code": None, "occurred_at": at, "circumstances": what, "destination": where, "state": "frozen",
            "summary_due_at": summary_due(at), "summary_sent_at": at + timedelta(hours=6),
            "created_at": at, "created_by": a.key_worker_id or seniors[0]})
        if i == 1:  # back after two days, reassessed: the same stay goes on
            row.update(state="resumed", resumed_at=at + timedelta(days=2),
                       reassessment_note="Reassessed on return: settled, wants to continue; plan reviewed.")
        rows.append(row)
        run.history.record(at, row["created_by"], "discharge.record_unplanned", "discharge", row["id"],
                           a.resident_id, type=kind, occurred_at=at.isoformat(), night=False, freeze=True)
    return rows


def _follow_ups(s: Any, book: Any, rng: random.Random, planned: list[dict[str, Any]],
                today: date, tick: Any = None) -> tuple[int, list[dict[str, Any]]]:
    attempts: list[dict[str, Any]] = []
    made = 0
    for i, d in enumerate(planned):
        if tick and i % 100 == 0:
            tick(len(planned) + i, 2 * len(planned))
        row = s.get(Discharge, d["id"])
        for f in schedule(s, row, d["occurred_at"].astimezone(LONDON).date()):
            made += 1
            f.created_by = d["created_by"]
            if f.due_on > today:
                continue
            tries = rng.randint(1, 3)
            recent = (today - f.due_on).days < 14
            if recent and rng.random() < 0.6:
                tries = rng.randint(0, 1)  # still due: nobody reached yet
                outcome_status = "due"
            else:
                outcome_status = rng.choices(("done", "not_contactable", "declined"), weights=(7, 2, 1))[0]
            for k in range(tries):
                at = _at(f.due_on + timedelta(days=2 * k), rng.randint(10, 16))
                reached = outcome_status in ("done", "declined") and k == tries - 1
                attempts.append(stamp(book, {"follow_up_id": f.id, "at": at, "method": rng.choice(ATTEMPT_METHODS),
                                             "reached": reached, "note": "Spoke to them." if reached else
                                             "No answer; message left.", "created_at": at,
                                             "created_by": d["created_by"]}))
            if outcome_status != "due":
                f.status = outcome_status
                f.completed_on = f.due_on + timedelta(days=2 * max(tries - 1, 0))
                if outcome_status == "done":
                    f.outcome = rng.choices(("abstinent", "reduced_use", "relapsed"), weights=(5, 3, 2))[0]
                f.note = {"done": "Doing well overall.", "not_contactable": "Three tries; no reply.",
                          "declined": "Did not want to take part."}[outcome_status]
    s.flush()
    return made, attempts

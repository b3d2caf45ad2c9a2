"""Demo key work: pre-admission assessments, key-work sessions and interventions, weekly groups
with their registers.

Run after the residents, referrals and care plans exist. Each stay has a weekly one-to-one with
the key worker (linked to a care plan goal where the plan has one) and, over the weeks, the other
interventions of the core strand: harm-reduction advice and health screening early on, blood-borne
virus screening, GP registration, psychosocial work (motivational interviewing, relapse
prevention), independent living skills, family sessions, recreation. About one in eight is not
attended and one in twenty cancelled, each with a reason; some leave follow-up actions, a few due
this week. Three groups a week over the last six months have a register of the residents staying
that day. Admitted referrals and most open ones have a pre-admission assessment. What happened in
the last six months is in the History as whoever did it; older stays' sessions are summed up in one
audit entry per batch (the demo stays quick to build at 20,000 residents). Its own random stream."""
from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from keyworker.clock import LONDON
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission, Referral
from keyworker.db.foundation import Account
from keyworker.db.key_work import GroupAttendance, GroupSession, KeyWorkSession, PreAdmissionAssessment
from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import AuditItem, append_audit, insert_rows, stamp
from keyworker.pre_admission import CHECKLIST

BATCH = 2000
STORY_DAYS = 183  # sessions this recent are in the History one by one
GROUP_WEEKS = 26

# (type, intervention, notes) the weeks after the first one choose from, with weights.
OTHER: list[tuple[str, str | None, str, int]] = [
    ("psychosocial", "Motivational interviewing", "Explored ambivalence about going home; scaled readiness 7/10.", 4),
    ("psychosocial", "Relapse prevention", "Mapped high-risk situations: payday, the pub on the estate.", 4),
    ("harm_reduction", None, "Lost tolerance after detox explained; naloxone use rehearsed.", 2),
    ("health_screening", None, "Blood pressure, weight and PHQ-9 done; GP letter for low mood.", 2),
    ("bbv", None, "Dry blood spot test for hepatitis B, C and HIV; results in two weeks.", 2),
    ("gp_registration", None, "Registered with the practice near the unit; first appointment booked.", 1),
    ("living_skills", None, "Budgeting session: weekly shop planned within £35.", 2),
    ("family", None, "Session with mum and sister; agreed phone contact on Sundays.", 1),
    ("recreational", None, "Walk at Avenham Park with two other residents.", 2),
    ("other", None, "Help with a Universal Credit journal entry.", 1),
]
_WEIGHTS = [w for *_x, w in OTHER]
ONE_TO_ONE = ["Reviewed the week: cravings lower, sleeping better.", "Talked through the letter from the council.",
              "Worked on the recovery plan; named three people to ring when it gets hard.",
              "Difficult session: angry about the house rules; agreed to talk again tomorrow.",
              "Went over the discharge plan and the follow-up calls."]
DNA_REASONS = ["Stayed in bed; said they felt unwell.", "At a hospital appointment that was not on the board.",
               "Refused: did not want to talk today.", "Forgot; was in the garden."]
CANCEL_REASONS = ["Key worker off sick.", "Fire alarm evacuation.", "Clashed with a probation appointment."]
FOLLOW_UPS = [("Ring the housing officer about the bidding number", "Key worker"),
              ("Book the hepatitis C results appointment", "Resident"),
              ("Send the college application", "Resident"),
              ("Chase the GP letter", "Key worker")]
GROUPS = [(0, "Relapse prevention", "psychosocial", "14:00", 90), (2, "Art and crafts", "recreational", "10:30", 60),
          (4, "SMART Recovery meeting", "group", "18:30", 75)]
DOMAIN_NOTES = {"physical": "Hep C antibody positive; liver function due. Smokes 20 a day.",
                "psychological": "Low mood and anxiety; no current thoughts of suicide.",
                "social": "Sofa-surfing at a friend's; two children live with their grandmother.",
                "forensic": "Shoplifting convictions; no current order."}


def _at(day: date, hhmm: str) -> datetime:
    h, m = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(h, m), LONDON)


def populate(run: DemoRun) -> None:
    book, today = run.book, run.today
    rng = random.Random(run.seed * 7717 + 11)
    with book._read() as s:
        adms = s.execute(select(Admission.id, Admission.resident_id, Admission.admitted_on, Admission.discharged_on,
                                Admission.key_worker_id, Admission.referral_id)
                         .order_by(Admission.admitted_on, Admission.id)).all()
        goals = _current_goals(s)
        names = dict(s.execute(select(Account.id, Account.full_name)).tuples().all())
        staff = s.execute(select(Account.id, Account.role).where(Account.disabled.is_(False))
                          .order_by(Account.username)).all()
        open_refs = s.execute(select(Referral.id, Referral.received_at, Referral.status)
                              .where(Referral.status.in_(("open", "accepted")))).all()
    workers = [a.id for a in staff if a.role in ("key_worker", "senior")] or [book.actor.id]
    # The benchmark unit (`years`) has every session in the History, as a real unit would.
    story_from = run.start if run.long_history else today - timedelta(days=STORY_DAYS)
    weekly_from = today - timedelta(days=STORY_DAYS)
    for i in range(0, len(adms), BATCH):
        rows = _Rows()
        for j, a in enumerate(adms[i:i + BATCH], start=i):
            if j % 100 == 0:
                run.tick(j, len(adms))
            _stay(run, rng, rows, a, goals.get(a.id, []), today, story_from, weekly_from)
            if a.referral_id:
                _pre_admission(run, rng, rows, a.referral_id, a.admitted_on - timedelta(days=rng.randint(3, 12)),
                               a.key_worker_id or workers[0], names, a.resident_id, story_from)
        rows.write(run)
    rows = _Rows()
    for r in open_refs:
        if rng.random() < 0.7:
            day = min(r.received_at.astimezone(LONDON).date() + timedelta(days=rng.randint(1, 3)), today)
            _pre_admission(run, rng, rows, r.id, day, rng.choice(workers), names, None, story_from)
    _groups(run, rng, rows, adms, workers, names, today)
    rows.write(run)


class _Rows:
    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.assessments: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.register: list[dict[str, Any]] = []

    def write(self, run: DemoRun) -> None:
        with run.book._write() as s:
            insert_rows(s, PreAdmissionAssessment, self.assessments)
            insert_rows(s, KeyWorkSession, self.sessions)
            insert_rows(s, GroupSession, self.groups)
            insert_rows(s, GroupAttendance, self.register)
            append_audit(s, run.book, [AuditItem("demo.key_work", "unit", None, None, {
                "sessions": len(self.sessions), "assessments": len(self.assessments), "groups": len(self.groups),
                "register": len(self.register)})])


def _current_goals(s: Any) -> dict[str, list[tuple[str, str]]]:
    """(goal id, goal) of each admission's current plan, for sessions to link to."""
    out: dict[str, list[tuple[str, str]]] = {}
    for adm_id, content in s.execute(select(CarePlan.admission_id, CarePlanVersion.content)
                                     .join(CarePlanVersion, CarePlanVersion.id == CarePlan.current_version_id)):
        out[adm_id] = [(g["id"], g["goal"]) for g in json.loads(content).get("goals", []) if g.get("id")]
    return out


def _stay(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, goals: list[tuple[str, str]], today: date,
          story_from: date, weekly_from: date) -> None:
    end = min(a.discharged_on or today, today)
    # Older stays: a session a fortnight (the History sums them up, but for the benchmark unit's);
    # recent ones weekly and more.
    step = 7 if end >= weekly_from else 14
    day, week = a.admitted_on + timedelta(days=1), 0
    while day <= end:
        _session(run, rng, rows, a, day, "one_to_one", None, rng.choice(ONE_TO_ONE), goals, week, today, story_from)
        if step == 7 and week >= 1 and rng.random() < 0.8:
            kind, intervention, notes, _w = rng.choices(OTHER, weights=_WEIGHTS)[0]
            other = day + timedelta(days=rng.randint(1, 4))
            if other <= end:
                _session(run, rng, rows, a, other, kind, intervention, notes, [], week, today, story_from)
        if week == 0:  # the first week: harm reduction and health screening for everyone
            _session(run, rng, rows, a, day + timedelta(days=1), "harm_reduction", None,
                     "Overdose risk after detox explained; naloxone kit given.", [], week, today, story_from,
                     attended=True)
        day += timedelta(days=step)
        week += 1


def _session(run: DemoRun, rng: random.Random, rows: _Rows, a: Any, day: date, kind: str, intervention: str | None,
             notes: str, goals: list[tuple[str, str]], week: int, today: date, story_from: date, *,
             attended: bool = False) -> None:
    if day > today:
        return
    roll = rng.random()
    outcome = "attended" if attended or roll >= 0.17 else ("did_not_attend" if roll >= 0.05 else "cancelled")
    reason = rng.choice(DNA_REASONS) if outcome == "did_not_attend" else (
        rng.choice(CANCEL_REASONS) if outcome == "cancelled" else None)
    start = rng.choice(("09:30", "10:00", "11:00", "13:30", "14:00", "15:30"))
    linked = [{"goal_id": gid, "goal": text, "progress": ""} for gid, text in goals[:1]] \
        if kind == "one_to_one" and goals and outcome == "attended" and week % 2 else []
    follow = []
    if outcome == "attended" and rng.random() < 0.12:
        what, who = rng.choice(FOLLOW_UPS)
        follow.append({"what": what, "who": who, "by_when": (day + timedelta(days=rng.randint(2, 9))).isoformat()})
    at = _at(day, start) + timedelta(minutes=70)
    by = a.key_worker_id or run.workers[0]
    row = stamp(run.book, {
        "resident_id": a.resident_id, "admission_id": a.id, "held_on": day, "start_time": start,
        "duration_minutes": rng.choice((30, 45, 50, 60)), "kind": kind, "intervention": intervention,
        "outcome": outcome, "outcome_reason": reason, "goals": json.dumps(linked),
        "notes": notes if outcome == "attended" else None, "follow_ups": json.dumps(follow),
        "supersedes_id": None, "superseded_by_id": None, "correction_reason": None,
        "created_at": at, "created_by": by})
    rows.sessions.append(row)
    if day >= story_from:
        run.history.record(at, by, "key_work.record", "key_work_session", row["id"], a.resident_id, kind=kind,
                           held_on=day.isoformat(), outcome=outcome, goals=len(linked))


def _pre_admission(run: DemoRun, rng: random.Random, rows: _Rows, referral_id: str, day: date, by: str,
                   names: dict[str, str], resident_id: str | None, story_from: date) -> None:
    ticked = [k for k in CHECKLIST if not k.startswith("intro_") or rng.random() < 0.5]
    if rng.random() < 0.15:  # not every item covered: the assessment says what is still to do
        ticked = [k for k in ticked if k != "service_model_referrer"]
    concern = rng.random() < 0.08
    domains = {k: v for k, v in DOMAIN_NOTES.items() if k != "forensic" or rng.random() < 0.4}
    at = _at(day, "11:00") + timedelta(hours=2)
    row = stamp(run.book, {
        "referral_id": referral_id, "assessed_on": day, "assessed_by": names.get(by, "Key worker"),
        "method": rng.choice(("in_person", "in_person", "video", "phone")), "domains": json.dumps(domains),
        "motivation": rng.choice(("Wants to stop for good; ready to come in now.",
                                  "Ambivalent: wants detox, unsure about a full stay.",
                                  "Motivated by the children's contact; fears the first week.")),
        "outcomes": "Abstinence; housing on discharge; reconnect with family.",
        "checklist": json.dumps(ticked),
        "safeguarding_concern": "Disclosed that the children's father uses heroin at home." if concern else None,
        "safeguarding_reported_to": "Children's Social Care duty team" if concern else None,
        "supersedes_id": None, "superseded_by_id": None, "correction_reason": None,
        "created_at": at, "created_by": by})
    rows.assessments.append(row)
    if day >= story_from:
        run.history.record(at, by, "pre_admission.record", "referral", referral_id, resident_id,
                           assessment_id=row["id"], assessed_on=day.isoformat(), method=row["method"])


def _groups(run: DemoRun, rng: random.Random, rows: _Rows, adms: Sequence[Any], workers: list[str],
            names: dict[str, str], today: date) -> None:
    monday = today - timedelta(days=today.weekday())
    for w in range(GROUP_WEEKS, -1, -1):
        for weekday, title, kind, start, minutes in GROUPS:
            day = monday - timedelta(weeks=w) + timedelta(days=weekday)
            if day >= today:
                continue
            staying = [a for a in adms if a.admitted_on < day and (a.discharged_on is None or a.discharged_on >= day)]
            if not staying:
                continue
            by = rng.choice(workers)
            at = _at(day, start) + timedelta(minutes=minutes + 20)
            g = stamp(run.book, {
                "title": title, "kind": kind, "held_on": day, "start_time": start, "duration_minutes": minutes,
                "facilitators": ", ".join(sorted({names.get(by, "Staff"), names.get(rng.choice(workers), "Staff")})),
                "notes": None, "supersedes_id": None, "superseded_by_id": None, "correction_reason": None,
                "created_at": at, "created_by": by})
            rows.groups.append(g)
            attended = 0
            for a in rng.sample(staying, min(len(staying), 12)):
                roll = rng.random()
                att = "attended" if roll >= 0.2 else ("did_not_attend" if roll >= 0.07 else "excused")
                attended += att == "attended"
                rows.register.append(stamp(run.book, {
                    "group_id": g["id"], "resident_id": a.resident_id, "admission_id": a.id, "attendance": att,
                    "note": "At a hospital appointment" if att == "excused" else None,
                    "created_at": at, "created_by": by}))
            run.history.record(at, by, "key_work.group_record", "group_session", g["id"], None, title=title,
                               held_on=day.isoformat(), register=min(len(staying), 12), attended=attended)

"""Synthetic risk assessments for the demo unit (issue 10), run before the care plans (which link
them). The key worker assesses on the admission day and reviews every 4 weeks (weekly while high);
some residents' levels rise or fall at a review, a share of current residents' reviews are overdue,
and the newest admissions are not yet assessed. Rows go in with Core executemany inserts in
batches, stamped as the unit of work would, with one summary audit entry per batch and the
history entries the risk service would have written (risk.record, risk.revise)."""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from keyworker import risk_domains as rd
from keyworker.clock import LONDON, local_today
from keyworker.db.caseload import Admission
from keyworker.db.risk import RiskAssessment, RiskAssessmentVersion
from keyworker.demo.history import History
from keyworker.demo.rows import DemoRun
from keyworker.ids import new_id
from keyworker.imports.bulk import AuditItem, append_audit
from keyworker.risk import summary_of

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

BATCH = 2000

# Evidence a key worker would write, per domain and rating.
EVIDENCE: dict[str, dict[str, list[str]]] = {
    "overdose_relapse": {
        rd.LOW: ["No overdoses; understands lost tolerance; naloxone trained."],
        rd.MEDIUM: ["One overdose in 2023; tolerance now low after detox.", "Lapsed twice on home leave last year."],
        rd.HIGH: ["Two overdoses in the last year; tolerance lost after detox; talks of using on leave.",
                  "Used on site in week 2; previous non-fatal overdose after prison release."]},
    "self_harm": {
        rd.LOW: ["No history of self-harm; denies thoughts of suicide."],
        rd.MEDIUM: ["Cut herself in 2022; no current thoughts; safety plan agreed.",
                    "Low mood after bereavement; no plans; knows how to get help."],
        rd.HIGH: ["Overdose with intent in March; current thoughts without a plan; crisis team involved."]},
    "harm_to_others": {
        rd.LOW: ["No violence or offences against others."],
        rd.MEDIUM: ["Assault conviction in 2019; no incidents since; triggers discussed.",
                    "Threatened a neighbour while drinking; on a community order."],
        rd.HIGH: ["Arson conviction (2018) and recent threats to staff at previous service.",
                  "Schedule 1 offence (2015): MAPPA level 1; no unsupervised contact with children."]},
    "harm_from_others": {
        rd.LOW: ["No debts or pressure from others disclosed."],
        rd.MEDIUM: ["Owes money to a dealer in Preston; avoids the area.",
                    "Former partner has turned up at previous placements."],
        rd.HIGH: ["Home was cuckooed last year; dealer has been asking where she is."]},
    "domestic_abuse": {
        rd.LOW: ["No domestic abuse disclosed; checklist not indicated."],
        rd.MEDIUM: ["Victim of abuse by an ex-partner; checklist score 11; no contact now."],
        rd.HIGH: ["Checklist score 15 (visible high risk); MARAC referral made; perpetrator on bail."]},
    "safeguarding_children": {
        rd.LOW: ["No children; no contact with children in the household."],
        rd.MEDIUM: ["Two children living with grandmother; supervised contact monthly.",
                    "Son (8) on a child in need plan; social worker informed of admission."],
        rd.HIGH: ["Daughter (4) on a child protection plan; conference in four weeks."]},
    "adult_safeguarding": {
        rd.LOW: ["No care and support needs identified."],
        rd.MEDIUM: ["History of financial abuse by a family member; appointee in place."],
        rd.HIGH: ["Section 42 enquiry open: financial and physical abuse by a lodger."]},
    "physical_health": {
        rd.LOW: ["No significant physical health problems; GP registered."],
        rd.MEDIUM: ["Hepatitis C positive, treatment planned via GP.", "Seizure on alcohol withdrawal in 2021."],
        rd.HIGH: ["Liver cirrhosis; withdrawal seizures; 14 weeks pregnant."]},
    "mental_health": {
        rd.LOW: ["No diagnosis; mood settled."],
        rd.MEDIUM: ["Anxiety and depression, on sertraline; attends talking therapies.",
                    "PTSD after childhood trauma; trauma work planned after detox."],
        rd.HIGH: ["Psychosis in 2024 on crack; under the community mental health team; missed depot."]},
}
ACTIONS = [("Daily check-in with the key worker", "Key worker"), ("Naloxone kit checked before every leave",
           "Key worker"), ("Safety plan reviewed weekly", "Key worker"), ("Liaise with probation", "Key worker"),
           ("Leave only with a staff-agreed plan", "Resident"), ("Share the plan with night staff", "Senior"),
           ("Check in with the social worker", "Key worker"), ("GP review of withdrawal medication", "Resident")]
DESTINATIONS = ["Mother's house in Preston", "Friend's flat in Blackburn", "Back to his partner in Burnley",
                "Likely to sleep rough in Lancaster", "Sister's house in Chorley", "Hostel in Blackpool"]
TELLS = ["Referrer, CTP and GP", "Referrer, CTP and probation", "Referrer, CTP and children's social care",
         "Referrer, CTP and next of kin", "Referrer and the community mental health team"]
REASONS = {"same": ["Four-weekly review with the resident: no change.", "Reviewed at key work: plan still fits."],
           "up": ["Used on home leave: tolerance is low after detox.", "New disclosure at key work.",
                  "After an incident on the unit."],
           "down": ["Settled for four weeks; plan working.", "Crisis passed; mental health team discharged."],
           "high": ["Weekly review while high risk."]}


@dataclass
class _Build:
    book: Casebook
    today: date
    history: History


def populate(run: DemoRun) -> None:
    add_assessments(run.book, run.seed, history=run.history, tick=run.tick)


def add_assessments(book: Casebook, seed: int, history: History | None = None,
                    tick: Callable[[int, int], None] | None = None) -> None:
    """Assess every admission without an assessment (but the newest), with its reviews, audited as
    the key worker made them (into `history`, or written here at the end if none is given)."""
    today = local_today(book.clock)
    run = _Build(book, today, history or History.of(book, seed))
    rng = random.Random(seed * 6151 + 10)
    with book._read() as s:
        done = set(s.scalars(select(RiskAssessment.admission_id)))
        rows = s.execute(select(Admission.id, Admission.resident_id, Admission.admitted_on,
                                Admission.discharged_on, Admission.key_worker_id)
                         .order_by(Admission.admitted_on)).all()
    rows = [r for r in rows if r.id not in done]
    # However small the unit, the demo shows one resident not yet assessed: the latest admission.
    newest = rows[-1].id if rows and rows[-1].discharged_on is None else None
    assessments: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    current = 0
    for i, r in enumerate(rows, 1):
        if r.id != newest and not (r.discharged_on is None and (today - r.admitted_on).days <= 1
                                   and rng.random() < 0.5):
            # One current resident in six is high risk throughout, so a night worker's Today and the
            # header banner have someone to show however the dice fall.
            current += r.discharged_on is None
            _assess(run, rng, r, assessments, versions, high=r.discharged_on is None and current % 6 == 1)
        if len(versions) >= BATCH or i == len(rows):
            _flush(run, assessments, versions, i)
            assessments, versions = [], []
        if tick and i % 100 == 0:
            tick(i, len(rows))
    if history is None:
        run.history.write(book)


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    return datetime.combine(day, time(hour, rng.choice((0, 15, 30, 45))), LONDON)


def _content(rng: random.Random, level: str, day: date, previous: dict[str, Any] | None) -> dict[str, Any]:
    # The overall level is the highest domain's; one domain carries it, a few sit at medium.
    ratings = {k: rd.LOW for k in rd.DOMAIN_KEYS}
    if level != rd.LOW:
        ratings[rng.choice(rd.DOMAIN_KEYS)] = level
    for k in rng.sample(rd.DOMAIN_KEYS, rng.randint(0, 2) if level != rd.LOW else 0):
        ratings[k] = max(ratings[k], rd.MEDIUM, key=rd.rank)
    kept = previous["contingency"] if previous else {
        "naloxone": "Naloxone kit supplied and overdose advice given at induction.",
        "ctp_referral": "Consents to referral back to the Community Treatment Provider on any early exit.",
        "likely_destination": rng.choice(DESTINATIONS), "who_to_tell": rng.choice(TELLS)}
    acts = rng.sample(ACTIONS, 1 if level == rd.LOW else rng.randint(2, 3))
    return {
        "assessed_on": day.isoformat(),
        "domains": [{"key": k, "rating": ratings[k], "evidence": rng.choice(EVIDENCE[k][ratings[k]])}
                    for k in rd.DOMAIN_KEYS],
        "suggested_level": level, "overall_level": level, "overall_reason": "",
        "actions": [{"what": w, "who": who, "by_when": (day + timedelta(days=rng.choice((7, 14)))).isoformat()}
                    for w, who in acts],
        "contingency": kept, "review_on": rd.default_review_on(day, level).isoformat(), "review_reason": "",
    }


def _assess(run: _Build, rng: random.Random, r: Any, assessments: list[dict[str, Any]],
            versions: list[dict[str, Any]], high: bool = False) -> None:
    """The assessment on the admission day and its reviews until discharge (or today; a share overdue)."""
    today, worker = run.today, r.key_worker_id
    end = r.discharged_on or today
    level = rd.HIGH if high else rng.choices([rd.LOW, rd.MEDIUM, rd.HIGH], [45, 40, 15])[0]
    # A share of current residents' reviews slipped: the last one was a week or more ago.
    stop = end
    if r.discharged_on is None and rng.random() < 0.1:
        stop = today - timedelta(days=rng.randint(10, 40))
    aid, day, number, parent = new_id(), r.admitted_on, 1, None
    content = _content(rng, level, day, None)
    while True:
        at = _at(day, 14 if number == 1 else 11, rng)
        vid = new_id()
        reason = None
        if parent is not None:
            was = parent[1]["overall_level"]
            reason = rng.choice(REASONS["high" if was == level == rd.HIGH else
                                        "up" if rd.rank(level) > rd.rank(was) else
                                        "down" if rd.rank(level) < rd.rank(was) else "same"])
        versions.append(_tracked(run, vid, at, worker, {
            "assessment_id": aid, "number": number, "parent_version_id": parent[0] if parent else None,
            "content": json.dumps(content, sort_keys=True), "reason": reason}))
        run.history.record(at, worker, "risk.record" if number == 1 else "risk.revise", "admission", r.id,
                           r.resident_id, version=number, answered=0,
                           **({} if number == 1 else {"parts": ["overall_level"] if parent and
                                                      parent[1]["overall_level"] != level else ["review_on"]}))
        parent, last = (vid, content), content
        next_day = date.fromisoformat(content["review_on"])
        if next_day > stop or next_day > today:
            break
        day, number = next_day, number + 1
        level = rd.HIGH if high else rng.choices([level, rd.LOW, rd.MEDIUM, rd.HIGH], [70, 12, 12, 6])[0]
        content = _content(rng, level, day, last)
    assessments.append(_tracked(run, aid, _at(r.admitted_on, 14, rng), worker, {
        "resident_id": r.resident_id, "admission_id": r.id, "current_version_id": parent[0],
        "overall_level": last["overall_level"], "review_on": date.fromisoformat(last["review_on"])}))


def _tracked(run: _Build, row_id: str, at: datetime, by: str, row: dict[str, Any]) -> dict[str, Any]:
    row.update(id=row_id, created_at=at, updated_at=at, created_by=by, device_id=run.book.device_id, archived=False)
    return row


def _flush(run: _Build, assessments: list[dict[str, Any]], versions: list[dict[str, Any]], done: int) -> None:
    if not assessments:
        return
    with run.book._write() as s:
        conn = s.connection()
        conn.execute(insert(RiskAssessment), assessments)
        conn.execute(insert(RiskAssessmentVersion), versions)
        append_audit(s, run.book, [AuditItem("demo.risk", "unit", None, None, {
            "assessments": len(assessments), "versions": len(versions), "done": done})])


def plan_links(book: Casebook) -> dict[str, dict[str, Any]]:
    """For the demo's care plans: each admission's first assessment (made before the plan was
    completed on the admission day) as the plan's risk section shows it."""
    with book._read() as s:
        rows = s.execute(select(RiskAssessment.admission_id, RiskAssessment.id, RiskAssessmentVersion.content,
                                RiskAssessmentVersion.created_at)
                         .join(RiskAssessmentVersion, RiskAssessmentVersion.assessment_id == RiskAssessment.id)
                         .where(RiskAssessmentVersion.number == 1)).all()
    out = {}
    for adm_id, ra_id, raw, at in rows:
        c = json.loads(raw)
        ratings = [(rd.DOMAINS_BY_KEY[d["key"]].label, d["rating"]) for d in c["domains"]]
        out[adm_id] = {
            "risk_assessment_id": ra_id,
            "risk_summary": summary_of(c["overall_level"], ratings, c["overall_reason"],
                                       date.fromisoformat(c["review_on"]), at, 1),
            "contingency": "\n".join(f"{label}: {c['contingency'][k]}" for k, label in rd.CONTINGENCY_FIELDS.items()
                                     if c["contingency"].get(k)),
        }
    return out

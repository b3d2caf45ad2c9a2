"""Synthetic care plans and plan versions for the demo unit (their reviews: keyworker/demo/reviews.py).

Run by `keyworker.demo.populate()` once residents and admissions exist. Rows go in with Core
executemany inserts in batches (a 20,000-resident unit takes seconds), stamped as the unit of work
would stamp them, with one summary audit entry per batch. The mix is realistic on purpose: most
plans complete on the admission day, some still drafts or missing, reviews every 10-14 days with
goal progress and plan changes, referrers invited to mid-way and pre-discharge meetings (not
always), and a share of current residents whose review is overdue."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from keyworker.clock import LONDON, format_date, local_today
from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review
from keyworker.db.caseload import Admission, Referral, Resident
from keyworker.db.foundation import Account
from keyworker.demo.history import History
from keyworker.demo.reviews import review_history
from keyworker.demo.risk import plan_links
from keyworker.demo.rows import DemoRun, plan_json
from keyworker.ids import new_id
from keyworker.imports.bulk import AuditItem, append_audit
from keyworker.plan_sections import DEMOGRAPHIC_FIELDS, DOMAINS_LIST

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

BATCH = 2000

GOALS = {
    "substance_use": ["I want to stay off heroin and crack for good.", "Stop drinking and not go back to it.",
                      "Get through detox and stay clean after I leave.", "Learn to manage cravings without using."],
    "housing": ["Have my own flat, away from the people I used with.", "Get onto the council housing list.",
                "Move into recovery housing when I finish here."],
    "ete": ["Get back into work, maybe labouring or warehouse.", "Do my maths and English at college.",
            "Volunteer at the recovery cafe."],
    "family": ["Rebuild things with my kids.", "See my mum every week.", "Get contact with my daughter back."],
    "living_skills": ["Cook proper meals for myself.", "Keep a routine: up at eight, bed by eleven."],
    "money": ["Sort out my debts and stop the bailiff letters.", "Get my Universal Credit sorted."],
    "physical_health": ["Get my hep C treated.", "Sort my teeth out.", "Get fitter and go to the gym."],
    "mental_health": ["Deal with my anxiety without using.", "Get help for the trauma."],
    "offending": ["Finish my probation order without breaching."],
    "mutual_aid": ["Go to meetings every week and get a sponsor.", "Join the SMART group near home."],
}
ACTIONS = [("Weekly 1:1 key work session", "Key worker"), ("Attend relapse prevention group", "Resident"),
           ("Referral to housing options team", "Key worker"), ("Book GP appointment", "Resident"),
           ("Contact Citizens Advice about debts", "Resident"), ("Introduce to RIO peer mentor", "Key worker"),
           ("Family session with the family worker", "Family worker"), ("Enrol on college course", "Resident"),
           ("Liaise with probation officer", "Key worker"), ("Referral to talking therapies", "Key worker")]
NEEDS = {
    "housing": ("No fixed address on discharge.", "Housing options appointment; recovery housing application."),
    "ete": ("Out of work for four years.", "CV workshop; volunteering placement in weeks 8-12."),
    "family": ("Estranged from children; contact supervised.", "Family sessions monthly; letters to children."),
    "living_skills": ("Has not cooked or budgeted for years.", "Kitchen rota; budgeting sessions."),
    "money": ("Rent arrears and payday loans.", "Citizens Advice referral; debt plan."),
    "physical_health": ("Hep C positive; poor dental health.", "Hep C treatment via GP; dental registration."),
    "mental_health": ("Anxiety and low mood.", "Talking therapies referral; wellbeing group."),
    "offending": ("On a community order.", "Monthly probation contact from the unit."),
    "mutual_aid": ("Never been to mutual aid.", "Weekly SMART Recovery and NA; RIO peer mentor."),
}


def populate(run: DemoRun) -> None:
    add_plans_and_reviews(run.book, run.seed, history=run.history, tick=run.tick)


def add_plans_and_reviews(book: Casebook, seed: int, progress: Callable[[int, int], None] | None = None,
                          history: History | None = None, tick: Callable[[int, int], None] | None = None) -> None:
    """Give every admission without a plan a realistic plan, versions and reviews, audited as the
    key worker made them (into `history`, or written here at the end if none is given)."""
    own_history = history is None
    story = history or History.of(book, seed)
    rng = random.Random(seed * 7919 + 4)
    today = local_today(book.clock)
    with book._read() as s:
        names = dict(s.execute(select(Account.id, Account.full_name)).tuples().all())
        done = set(s.scalars(select(CarePlan.admission_id)))
        cols = [Admission.id, Admission.resident_id, Admission.admitted_on, Admission.planned_weeks,
                Admission.key_worker_id, Admission.discharged_on, Referral.referrer_name]
        res_cols = [getattr(Resident, a) for a, _, _ in DEMOGRAPHIC_FIELDS if hasattr(Resident, a)]
        rows = s.execute(select(*cols, Resident.given_name, Resident.family_name, Resident.preferred_name,
                                Resident.next_of_kin_name, Resident.next_of_kin_relationship, *res_cols)
                         .join(Resident, Resident.id == Admission.resident_id)
                         .outerjoin(Referral, Referral.id == Admission.referral_id)
                         .order_by(Admission.admitted_on)).mappings().all()
    rows = [r for r in rows if r["id"] not in done]
    total = len(rows)
    gen = PlanGenerator(book, rng, today, names, story)
    gen.risk = plan_links(book)  # a plan is complete only with a risk assessment (keyworker/demo/risk.py)
    # However small the unit, the demo shows incomplete plans: the two latest admissions' are drafts.
    gen.force_draft = {r["id"] for r in [r for r in rows if r["discharged_on"] is None][-2:]}
    for i in range(0, total, BATCH):
        for j, r in enumerate(rows[i:i + BATCH], start=i):
            gen.admission(r)
            if tick and j % 100 == 0:
                tick(j, total)
        gen.flush(min(i + BATCH, total))
        if progress:
            progress(min(i + BATCH, total), total)
    if own_history:
        story.write(book)


class PlanGenerator:
    def __init__(self, book: Casebook, rng: random.Random, today: date, names: dict[str, str],
                 history: History) -> None:
        self.book, self.rng, self.today, self.names, self.history = book, rng, today, names, history
        self.plans: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.force_draft: set[str] = set()
        self.risk: dict[str, dict[str, Any]] = {}

    def tracked(self, row_id: str, at: datetime, by: str, row: dict[str, Any]) -> dict[str, Any]:
        """The Tracked columns, as the unit of work would stamp them (Core inserts skip it)."""
        row.update(id=row_id, created_at=at, updated_at=at, created_by=by, device_id=self.book.device_id,
                   archived=False)
        return row

    def at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, self.rng.choice((0, 10, 20, 30, 40, 50))), LONDON)

    def admission(self, r: Any) -> None:
        rng, today = self.rng, self.today
        current = r["discharged_on"] is None
        admitted: date = r["admitted_on"]
        worker = r["key_worker_id"]
        roll = rng.random()
        recent = current and (today - admitted).days <= 10
        if recent and (today - admitted).days <= 2 and roll < 0.3 and r["id"] not in self.force_draft:
            return  # no plan started yet
        # Incomplete plans: mostly recent admissions, a few long-standing ones.
        draft = current and (roll < 0.45 if recent else roll < 0.04) or r["id"] in self.force_draft
        # A plan cannot be complete while the record lacks required demographics.
        draft = draft or any(req and not r.get(attr) for attr, _l, req in DEMOGRAPHIC_FIELDS if attr in r)
        draft = draft or r["id"] not in self.risk  # nor without a risk assessment with a contingency plan
        content = self.content(r, complete=not draft)
        plan_id, v1 = new_id(), new_id()
        started = self.at(admitted, 11)
        self.versions.append(self.tracked(v1, started, worker, {
            "plan_id": plan_id, "number": 1, "parent_version_id": None, "frozen": not draft,
            "content": plan_json(content), "reason": None, "review_id": None}))
        plan = self.tracked(plan_id, started, worker, {
            "resident_id": r["resident_id"], "admission_id": r["id"],
            "status": "draft" if draft else "complete", "completed_at": None if draft else self.at(admitted, 16),
            "completed_by": None if draft else worker, "current_version_id": v1,
            "agreed_on": None, "agreement_method": None, "agreement_note": None, "agreement_version_id": None,
            "agreement_recorded_by": None})
        if not draft:
            method = rng.choices(["signed_paper", "verbal", "declined", None], [70, 15, 5, 10])[0]
            if method:
                plan.update(agreed_on=admitted, agreement_method=method, agreement_version_id=v1,
                            agreement_recorded_by=worker,
                            agreement_note="Wants to read it again with family before signing."
                            if method == "declined" else None)
        self.plans.append(plan)
        self.story(r, plan, content)
        review_history(self, r, plan, content, v1, frozen=not draft)

    def story(self, r: Any, plan: dict[str, Any], content: dict[str, Any]) -> None:
        """The plan as the care plans service audits it: started, completed and agreed by the key worker."""
        story, worker, rid = self.history, r["key_worker_id"], r["resident_id"]
        sections = sorted({k for k, v in content["sections"].items() if v} | {"domains", "goals"})
        story.record(plan["created_at"], worker, "care_plan.create", "care_plan", plan["id"], rid, version=1,
                     sections=sections)
        if plan["completed_at"] is not None:
            story.record(plan["completed_at"], worker, "care_plan.complete", "care_plan", plan["id"], rid, version=1,
                         on_admission_day=True)
        if plan["agreement_method"]:
            story.record(story.minutes(plan["completed_at"], 20), worker, "care_plan.agreement", "care_plan",
                         plan["id"], rid, method=plan["agreement_method"], agreed_on=plan["agreed_on"].isoformat())

    def content(self, r: Any, *, complete: bool) -> dict[str, Any]:
        rng = self.rng
        worker_name = self.names.get(r["key_worker_id"], "")
        admitted: date = r["admitted_on"]
        domains = {}
        for key in DOMAINS_LIST:
            if rng.random() < 0.35:
                domains[key] = {"needs": "", "interventions": "", "no_needs_identified": True}
            else:
                needs, interventions = NEEDS[key]
                domains[key] = {"needs": needs, "interventions": interventions, "no_needs_identified": False}
        picks = ["substance_use"] + rng.sample([k for k in GOALS if k != "substance_use"], rng.randint(1, 3))
        goals = []
        for d in picks:
            action, who = rng.choice(ACTIONS)
            goals.append({"id": new_id(), "domain": d, "goal": rng.choice(GOALS[d]), "status": "not_started",
                          "progress_notes": "",
                          "actions": [{"action": action, "who": worker_name if who == "Key worker" else who,
                                       "by_when": (admitted + timedelta(days=rng.choice((14, 28, 42)))).isoformat()}]})
        sections: dict[str, dict[str, str]] = {
            "goals": {"aims": "Complete the programme, stay abstinent and move on to stable housing."},
            "key_worker": {"name": worker_name, "account_id": r["key_worker_id"]},
            "demographics": _demographics(r),
            "risk_contingency": {
                "risk_summary": "", "naloxone": "Naloxone kit and overdose awareness given at induction.",
                "ctp_referral": "Consents to referral back to the Community Treatment Provider on any early exit.",
                "risk_management": "Daily check-in; leave plans agreed in advance; safety plan on file."},
            "confidentiality": {
                "agreement": "Limits of confidentiality explained (safeguarding, risk to life); agreed.",
                "share_with": "Referrer, Community Treatment Provider, GP", "restrictions": ""},
            "mutual_aid_relapse": {
                "mutual_aid": "Weekly SMART Recovery and NA; introduction to RIO and Lancashire User Forum.",
                "relapse_prevention": "Relapse prevention group weeks 3-10; written plan before discharge."},
            "follow_ups": {"arrangements": "Aftercare worker phones at 3 and 6 months after completion.",
                           "contact_consent": "Consents; mobile and next of kin as backup."},
            "induction_conduct": {
                "induction": f"Induction on {format_date(admitted)} with {worker_name}.",
                "code_of_conduct": "Explained and signed.",
                "boundaries": "No use on site, respect for others; staff respond to requests within a day."},
        }
        if not complete:
            # A draft: started on admission, some sections still to do.
            for key in rng.sample(["follow_ups", "mutual_aid_relapse", "confidentiality", "induction_conduct"],
                                  rng.randint(1, 3)):
                sections[key] = {}
            for key in rng.sample(list(domains), rng.randint(0, 4)):
                del domains[key]
        link = self.risk.get(r["id"])
        if link:
            sections["risk_contingency"].update(risk_summary=link["risk_summary"], contingency=link["contingency"])
        return {"sections": sections, "domains": domains, "goals": goals,
                "risk_assessment_id": link["risk_assessment_id"] if link else None}

    def flush(self, done: int) -> None:
        book = self.book
        with book._write() as s:
            # Core executemany on the tables: the ORM bulk path splits rows into small batches
            # whenever the pattern of NULL values changes, which costs one statement per row here.
            conn = s.connection()
            for model, rows in ((CarePlan, self.plans), (CarePlanVersion, self.versions), (Review, self.reviews)):
                if rows:
                    conn.execute(insert(model), rows)
            append_audit(s, book, [AuditItem("demo.care_plans", "unit", None, None, {
                "plans": len(self.plans), "versions": len(self.versions), "reviews": len(self.reviews),
                "done": done})])
        self.plans, self.versions, self.reviews = [], [], []


def _demographics(r: Any) -> dict[str, str]:
    out = {}
    for attr, _label, _req in DEMOGRAPHIC_FIELDS:
        if attr == "full_name":
            value = f"{r['given_name']} {r['family_name']}"
            if r.get("preferred_name"):
                value += f" (known as {r['preferred_name']})"
        elif attr == "next_of_kin":
            value = ", ".join(x for x in (r.get("next_of_kin_name"), r.get("next_of_kin_relationship")) if x)
        elif attr == "date_of_birth":
            value = format_date(r.get("date_of_birth"))
        else:
            value = r.get(attr)
        out[attr] = str(value) if value not in (None, "") else ""
    return out

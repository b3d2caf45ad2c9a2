"""Demo history: the audit trail a unit would have for each current resident, so the record's
History tab tells a story (referral recorded and accepted, admitted, care plan started, completed
and agreed, reviews, medication, consents), dated when each made-up event happened and by the
staff who did it. Runs after the other areas and reads what they made (a few queries in all, not
per resident: a benchmark unit has thousands). Each entry is marked `demo` in its detail; real
units are only ever audited by the services, as things happen."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from keyworker.clock import LONDON
from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review
from keyworker.db.caseload import Admission, Consent, MedicationEvent, Referral, Resident
from keyworker.db.foundation import Account
from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import AuditItem, append_audit

MEDICATION_ACTIONS = {"start": "medication.start", "change": "medication.change", "stop": "medication.stop"}
Event = tuple[datetime, str, str, "str | None", "Account | None", dict[str, Any]]


def populate(run: DemoRun) -> None:
    book = run.book
    with book._read() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        senior = next((a for a in accounts.values() if a.role == "senior"), None)
        admissions = s.scalars(select(Admission).where(Admission.discharged_on.is_(None))
                               .order_by(Admission.admitted_on, Admission.id)).all()
        current = select(Admission.resident_id).where(Admission.discharged_on.is_(None))
        by_admission = select(Admission.id).where(Admission.discharged_on.is_(None))
        behind = select(Admission.referral_id).where(Admission.discharged_on.is_(None))
        referrals = {r.id: r for r in s.scalars(select(Referral).where(Referral.id.in_(behind)))}
        references = {i: ref for i, ref in s.execute(select(Resident.id, Resident.reference)
                                                      .where(Resident.id.in_(current)))}
        plans = {p.admission_id: p for p in s.scalars(select(CarePlan).where(CarePlan.admission_id.in_(by_admission)))}
        versions: dict[str, list[CarePlanVersion]] = defaultdict(list)
        for v in s.scalars(select(CarePlanVersion).where(CarePlanVersion.plan_id.in_([p.id for p in plans.values()]))
                           .order_by(CarePlanVersion.number)):
            versions[v.plan_id].append(v)
        reviews: dict[str, list[Review]] = defaultdict(list)
        for rv in s.scalars(select(Review).where(Review.admission_id.in_(by_admission),
                                                 Review.superseded_by_id.is_(None))):
            reviews[rv.admission_id].append(rv)
        meds: dict[str, list[MedicationEvent]] = defaultdict(list)
        for m in s.scalars(select(MedicationEvent).where(MedicationEvent.resident_id.in_(current))):
            meds[m.resident_id].append(m)
        consents: dict[str, list[Consent]] = defaultdict(list)
        for c in s.scalars(select(Consent).where(Consent.resident_id.in_(current))):
            consents[c.resident_id].append(c)
        items: list[AuditItem] = []
        for adm in admissions:
            story = _Story(adm, accounts, senior)
            story.referral(referrals.get(adm.referral_id or ""))
            story.admission(references.get(adm.resident_id))
            plan = plans.get(adm.id)
            if plan is not None:
                story.plan(plan, versions[plan.id])
            for rv in reviews[adm.id]:
                story.review(rv)
            for m in meds[adm.resident_id]:
                story.add(m.created_at, MEDICATION_ACTIONS.get(m.event, "medication.change"), "medication",
                          m.course_id, story.worker)
            for c in consents[adm.resident_id]:
                story.add(c.created_at, "consent.record", "consent", c.id, story.worker, {"kind": c.kind, "given": c.given})
            items += story.items()
    if items:
        with book._write() as s:
            append_audit(s, book, items)


class _Story:
    """One current resident's made-up events, put in order."""

    def __init__(self, adm: Admission, accounts: dict[str, Account], senior: Account | None) -> None:
        self.adm, self.accounts, self.senior = adm, accounts, senior
        self.worker = accounts.get(adm.key_worker_id or "")
        self.admitted_at = datetime.combine(adm.admitted_on, time(10), LONDON)
        self.events: list[Event] = []

    def who(self, account_id: str | None, default: Account | None) -> Account | None:
        return self.accounts.get(account_id or "") or default

    def add(self, at: datetime | None, action: str, entity: str, entity_id: str | None, who: Account | None,
            detail: dict[str, Any] | None = None) -> None:
        if at is not None:
            self.events.append((at if at.tzinfo else at.replace(tzinfo=LONDON), action, entity, entity_id, who,
                                {**(detail or {}), "demo": True}))

    def referral(self, ref: Referral | None) -> None:
        if ref is None:
            return
        self.add(ref.received_at, "referral.create", "referral", ref.id, self.senior, {"category": ref.category})
        self.add(ref.decided_at or ref.received_at + timedelta(days=2), "referral.accept", "referral", ref.id,
                 self.who(ref.decided_by, self.senior), {"within_deadline": True})

    def admission(self, reference: str | None) -> None:
        rid = self.adm.resident_id
        self.add(self.admitted_at, "resident.create", "resident", rid, self.senior, {"reference": reference})
        self.add(self.admitted_at + timedelta(minutes=5), "admission.create", "admission", self.adm.id, self.senior)

    def plan(self, plan: CarePlan, versions: list[CarePlanVersion]) -> None:
        numbers = {v.id: v.number for v in versions}
        for v in versions:
            who = self.who(v.created_by, self.worker)
            if v.number == 1:
                self.add(v.created_at, "care_plan.create", "care_plan", plan.id, who, {"version": 1})
            else:
                self.add(v.created_at, "care_plan.revise", "care_plan", plan.id, who,
                         {"version": v.number, **({"review_id": v.review_id} if v.review_id else {})})
        if plan.completed_at is not None:  # drafts make no versions: a plan is completed as version 1
            self.add(plan.completed_at, "care_plan.complete", "care_plan", plan.id,
                     self.who(plan.completed_by, self.worker), {"version": 1})
        if plan.agreed_on is not None:  # agreed once complete, never before
            agreed_at = datetime.combine(plan.agreed_on, time(15), LONDON)
            if plan.completed_at is not None:
                agreed_at = max(agreed_at, plan.completed_at + timedelta(minutes=20))
            self.add(agreed_at, "care_plan.agreement", "care_plan", plan.id,
                     self.who(plan.agreement_recorded_by, self.worker),
                     {"method": plan.agreement_method, "agreed_on": plan.agreed_on.isoformat(),
                      "version": numbers.get(plan.agreement_version_id or "", 1)})

    def review(self, rv: Review) -> None:
        self.add(datetime.combine(rv.held_on, time(14), LONDON), "review.record", "review", rv.id,
                 self.who(rv.created_by, self.worker), {"kind": rv.kind, "held_on": rv.held_on.isoformat()})

    def items(self) -> list[AuditItem]:
        # What the key worker records on the day of admission comes after the admission itself.
        settled = self.admitted_at + timedelta(minutes=15)
        later = ("consent", "medication", "care_plan")
        events = [(max(e[0], settled) if e[1].split(".")[0] in later else e[0], *e[1:]) for e in self.events]
        events.sort(key=lambda e: e[0])
        return [AuditItem(action, entity, entity_id, self.adm.resident_id, detail, at=at,
                          actor_id=who.id if who else None, actor_name=who.username if who else None)
                for at, action, entity, entity_id, who, detail in events]

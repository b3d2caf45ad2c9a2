"""Demo history: the audit trail a unit would have for each current resident, so the record's
History tab tells a story (referral recorded and accepted, admitted, care plan started, completed
and agreed, reviews, medication, consents), dated when each made-up event happened and by the
staff who did it. Runs after the other areas and reads what they made. Each entry is marked
`demo` in its detail; real units are only ever audited by the services, as things happen."""
from __future__ import annotations

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


def populate(run: DemoRun) -> None:
    book = run.book
    with book._read() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        senior = next((a for a in accounts.values() if a.role == "senior"), None)
        admissions = s.scalars(select(Admission).where(Admission.discharged_on.is_(None))
                               .order_by(Admission.admitted_on, Admission.id)).all()
        items: list[AuditItem] = []
        for adm in admissions:
            items += _resident_story(s, adm, accounts, senior)
    if items:
        with book._write() as s:
            append_audit(s, book, items)


def _resident_story(s: Any, adm: Admission, accounts: dict[str, Account], senior: Account | None) -> list[AuditItem]:
    rid = adm.resident_id
    worker = accounts.get(adm.key_worker_id or "")
    events: list[tuple[datetime, str, str, str | None, Account | None, dict[str, Any]]] = []

    def add(at: datetime | None, action: str, entity: str, entity_id: str | None, who: Account | None,
            detail: dict[str, Any] | None = None) -> None:
        if at is not None:
            events.append((at if at.tzinfo else at.replace(tzinfo=LONDON), action, entity, entity_id, who,
                           {**(detail or {}), "demo": True}))

    admitted_at = datetime.combine(adm.admitted_on, time(10), LONDON)
    ref = s.get(Referral, adm.referral_id) if adm.referral_id else None
    if ref is not None:
        add(ref.received_at, "referral.create", "referral", ref.id, senior, {"category": ref.category})
        decided = ref.decided_at or (ref.received_at + timedelta(days=2))
        add(decided, "referral.accept", "referral", ref.id, accounts.get(ref.decided_by or "") or senior,
            {"within_deadline": True})
    res = s.get(Resident, rid)
    add(admitted_at, "resident.create", "resident", rid, senior, {"reference": res.reference if res else None})
    add(admitted_at + timedelta(minutes=5), "admission.create", "admission", adm.id, senior)

    plan = s.scalars(select(CarePlan).where(CarePlan.admission_id == adm.id)).first()
    if plan is not None:
        versions = s.scalars(select(CarePlanVersion).where(CarePlanVersion.plan_id == plan.id)
                             .order_by(CarePlanVersion.number)).all()
        numbers = {v.id: v.number for v in versions}
        for v in versions:
            who = accounts.get(v.created_by or "") or worker
            if v.number == 1:
                add(v.created_at, "care_plan.create", "care_plan", plan.id, who, {"version": 1})
            else:
                add(v.created_at, "care_plan.revise", "care_plan", plan.id, who,
                    {"version": v.number, **({"review_id": v.review_id} if v.review_id else {})})
        if plan.completed_at is not None:  # drafts make no versions: a plan is completed as version 1
            add(plan.completed_at, "care_plan.complete", "care_plan", plan.id,
                accounts.get(plan.completed_by or "") or worker, {"version": 1})
        if plan.agreed_on is not None:  # agreed once complete, never before
            agreed_at = datetime.combine(plan.agreed_on, time(15), LONDON)
            if plan.completed_at is not None:
                agreed_at = max(agreed_at, plan.completed_at + timedelta(minutes=20))
            add(agreed_at, "care_plan.agreement", "care_plan", plan.id,
                accounts.get(plan.agreement_recorded_by or "") or worker,
                {"method": plan.agreement_method, "agreed_on": plan.agreed_on.isoformat(),
                 "version": numbers.get(plan.agreement_version_id or "", 1)})
    for rv in s.scalars(select(Review).where(Review.admission_id == adm.id, Review.superseded_by_id.is_(None))):
        add(datetime.combine(rv.held_on, time(14), LONDON), "review.record", "review", rv.id,
            accounts.get(rv.created_by or "") or worker,
            {"kind": rv.kind, "held_on": rv.held_on.isoformat()})
    for m in s.scalars(select(MedicationEvent).where(MedicationEvent.resident_id == rid)):
        add(m.created_at, MEDICATION_ACTIONS.get(m.event, "medication.change"), "medication", m.course_id, worker)
    for c in s.scalars(select(Consent).where(Consent.resident_id == rid)):
        add(c.created_at, "consent.record", "consent", c.id, worker, {"kind": c.kind, "given": c.given})

    # What the key worker records on the day of admission comes after the admission itself.
    settled = admitted_at + timedelta(minutes=15)
    events = [(max(e[0], settled) if e[1].split(".")[0] in ("consent", "medication", "care_plan") else e[0], *e[1:])
              for e in events]
    events.sort(key=lambda e: e[0])
    return [AuditItem(action, entity, entity_id, rid, detail, at=at,
                      actor_id=who.id if who else None, actor_name=who.username if who else None)
            for at, action, entity, entity_id, who, detail in events]

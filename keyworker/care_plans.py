"""Treatment and Recovery Care Plans (contract 4.1.4.2, 4.1.5): drafting, the completeness check,
completion, versions and their differences, the resident's agreement, and the printed copy.

`book.care_plans` is a `CarePlanService`. The UI fills a `PlanContent` (plain mutable dataclasses)
and hands it back; everything returned is detached from the database. Audit entries name section
keys and version numbers only, never the text of the plan."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from keyworker import date_ranges
from keyworker.clock import format_date, local_today
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission, Resident
from keyworker.db.foundation import Account
from keyworker.documents.store import Preview
from keyworker.errors import NotFound, ValidationError
from keyworker.ids import new_id
from keyworker.input_types import typed_inputs
from keyworker.plan_sections import (
    AGREEMENT_METHODS,
    DEMOGRAPHIC_FIELDS,
    DOMAINS,
    DOMAINS_LIST,
    FIELDS,
    FROM_RECORD,
    FROM_RISK_ASSESSMENT,
    GOAL_DOMAINS,
    GOAL_STATUSES,
    GOALS,
    SECTIONS,
    SECTIONS_BY_KEY,
)
from keyworker.risk_domains import CONTINGENCY_FIELDS
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook
    from keyworker.risk import RiskView


# -- content: what the editor fills --------------------------------------------------------------
@dataclass
class GoalAction:
    action: str = ""
    who: str = ""
    by_when: date | None = None


@dataclass
class Goal:
    domain: str = "substance_use"  # a key of GOAL_DOMAINS
    goal: str = ""  # in the resident's own words
    actions: list[GoalAction] = field(default_factory=list)
    status: str = "not_started"  # a key of GOAL_STATUSES
    progress_notes: str = ""
    id: str = field(default_factory=new_id)  # stable across versions, so reviews and diffs can follow it


@dataclass
class DomainPlan:
    needs: str = ""
    interventions: str = ""
    no_needs_identified: bool = False


@dataclass
class PlanContent:
    """Every section of one version. `sections[key][field]` for kinds "fields" and "from_record"
    (the latter filled by the service), `domains[key]` for the non-substance domains, `goals`."""

    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    domains: dict[str, DomainPlan] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    risk_assessment_id: str | None = None  # linked once the risk area records assessments

    def value(self, section_key: str, field_key: str) -> str:
        return (self.sections.get(section_key) or {}).get(field_key, "") or ""

    def set(self, section_key: str, field_key: str, text: str) -> None:
        self.sections.setdefault(section_key, {})[field_key] = text

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (written by hand: `dataclasses.asdict` is slow on a review save)."""
        return {
            "sections": {k: dict(v) for k, v in self.sections.items()},
            "domains": {k: {"needs": d.needs, "interventions": d.interventions,
                            "no_needs_identified": d.no_needs_identified} for k, d in self.domains.items()},
            "goals": [{"id": g.id, "domain": g.domain, "goal": g.goal, "status": g.status,
                       "progress_notes": g.progress_notes,
                       "actions": [{"action": a.action, "who": a.who,
                                    "by_when": a.by_when.isoformat() if a.by_when else None} for a in g.actions]}
                      for g in self.goals],
            "risk_assessment_id": self.risk_assessment_id,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanContent:
        goals = [
            Goal(domain=g.get("domain", ""), goal=g.get("goal", ""), status=g.get("status", "not_started"),
                 progress_notes=g.get("progress_notes", ""), id=g.get("id") or new_id(),
                 actions=[GoalAction(a.get("action", ""), a.get("who", ""),
                                     date.fromisoformat(a["by_when"]) if a.get("by_when") else None)
                          for a in g.get("actions", [])])
            for g in data.get("goals", [])
        ]
        domains = {k: DomainPlan(**v) for k, v in (data.get("domains") or {}).items()}
        sections = {k: {fk: str(fv or "") for fk, fv in v.items()} for k, v in (data.get("sections") or {}).items()}
        return cls(sections=sections, domains=domains, goals=goals, risk_assessment_id=data.get("risk_assessment_id"))

    @classmethod
    def from_json(cls, text: str) -> PlanContent:
        return cls.from_dict(json.loads(text or "{}"))

    def copy(self) -> PlanContent:
        return PlanContent.from_dict(self.to_dict())


# -- values returned -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MissingSection:
    key: str
    heading: str
    message: str


@dataclass(frozen=True)
class VersionInfo:
    id: str
    number: int
    created_at: datetime
    created_by: str | None
    created_by_name: str
    reason: str | None
    frozen: bool
    review_id: str | None
    parent_version_id: str | None


@dataclass(frozen=True)
class Agreement:
    agreed_on: date
    method: str
    method_label: str
    note: str | None
    version_number: int | None


@dataclass(frozen=True)
class CarePlanView:
    plan_id: str | None  # None until the first draft is saved
    resident_id: str
    admission_id: str
    resident_name: str
    reference: str
    admitted_on: date
    planned_weeks: int
    key_worker_id: str
    key_worker_name: str
    status: str  # not_started / draft / complete
    completed_at: datetime | None
    version: VersionInfo | None
    content: PlanContent  # a detached copy the editor may change and save back
    missing: tuple[MissingSection, ...]
    agreement: Agreement | None
    overdue: bool  # not complete and the admission day is over

    @property
    def complete(self) -> bool:
        return self.status == "complete"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class SectionChange:
    key: str
    heading: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class IncompletePlan:
    resident_id: str
    admission_id: str
    resident_name: str
    reference: str
    admitted_on: date
    key_worker_id: str
    status: str  # not_started / draft
    overdue: bool


# -- rules -------------------------------------------------------------------------------------
def missing_sections(content: PlanContent) -> list[MissingSection]:
    """What stops the plan being marked complete, section by section, in the order of SECTIONS."""
    out: list[MissingSection] = []
    for sec in SECTIONS:
        if not sec.required:
            continue
        problems: list[str] = []
        if sec.kind in (FIELDS, GOALS):
            empty = [f.label for f in sec.fields if f.required and not content.value(sec.key, f.key).strip()]
            if empty:
                problems.append("missing " + ", ".join(empty))
        if sec.kind == GOALS:
            problems += _goal_problems(content.goals)
        elif sec.kind == DOMAINS:
            gaps = [label for key, label in DOMAINS_LIST.items() if not _domain_done(content.domains.get(key))]
            if gaps:
                problems.append("no interventions or 'no needs identified' for " + ", ".join(gaps))
        elif sec.key == "key_worker":
            if not content.value("key_worker", "name"):
                problems.append("no key worker is named on the admission")
        elif sec.key == "demographics":
            gaps = [label for attr, label, req in DEMOGRAPHIC_FIELDS if req and not content.value("demographics", attr)]
            if gaps:
                problems.append("not recorded in the resident's record: " + ", ".join(gaps))
        if problems:
            out.append(MissingSection(sec.key, sec.heading, "; ".join(problems)))
    return out


def _domain_done(d: DomainPlan | None) -> bool:
    return d is not None and (d.no_needs_identified or bool(d.interventions.strip()))


def _goal_problems(goals: list[Goal]) -> list[str]:
    if not goals:
        return ["no goals agreed with the resident"]
    problems = []
    for i, g in enumerate(goals, 1):
        what = []
        if g.domain not in GOAL_DOMAINS:
            what.append("a domain")
        if not g.goal.strip():
            what.append("the goal in the resident's words")
        if g.status not in GOAL_STATUSES:
            what.append("a status")
        if not any(a.action.strip() and a.who.strip() and a.by_when for a in g.actions):
            what.append("an action with who and by when")
        if what:
            problems.append(f"goal {i} needs " + ", ".join(what))
    return problems


def _validate_content(content: PlanContent, today: date) -> None:
    """Shape errors refused even in a draft (bad vocabulary, dates out of range, not emptiness)."""
    errors: dict[str, str] = {}
    unknown = set(content.sections) - set(SECTIONS_BY_KEY)
    if unknown:
        errors["sections"] = "Unknown plan sections: " + ", ".join(sorted(unknown))
    bad_domains = set(content.domains) - set(DOMAINS_LIST)
    if bad_domains:
        errors["domains"] = "Unknown domains: " + ", ".join(sorted(bad_domains))
    for i, g in enumerate(content.goals, 1):
        if g.domain and g.domain not in GOAL_DOMAINS:
            errors[f"goals.{i}.domain"] = f"Goal {i}: choose a domain from the list."
        if g.status not in GOAL_STATUSES:
            errors[f"goals.{i}.status"] = f"Goal {i}: choose a status from the list."
        for a in g.actions:
            if a.by_when and (message := date_ranges.out_of_range(f"Goal {i}: by when", a.by_when,
                                                                  *date_ranges.planned(today))):
                errors[f"goals.{i}.actions"] = message
    if len({g.id for g in content.goals}) != len(content.goals):
        errors["goals"] = "Two goals have the same identifier."
    if errors:
        raise ValidationError(errors)


def _goal_text(g: Goal) -> str:
    acts = "; ".join(f"{a.action} ({a.who or '?'}, by {format_date(a.by_when) or '?'})" for a in g.actions)
    parts = [f"{GOAL_DOMAINS.get(g.domain, g.domain)}: {g.goal}", f"Status: {GOAL_STATUSES.get(g.status, g.status)}"]
    if acts:
        parts.append(f"Actions: {acts}")
    if g.progress_notes:
        parts.append(f"Progress: {g.progress_notes}")
    return "\n".join(parts)


def _domain_text(d: DomainPlan | None) -> str:
    if d is None:
        return ""
    if d.no_needs_identified:
        return "No needs identified" + (f". {d.interventions}" if d.interventions else "")
    return "\n".join(x for x in (f"Needs: {d.needs}" if d.needs else "",
                                 f"Interventions: {d.interventions}" if d.interventions else "") if x)


def diff_content(a: PlanContent, b: PlanContent) -> list[SectionChange]:
    """What changed from `a` to `b`, section by section (sections without changes are left out)."""
    out: list[SectionChange] = []
    for sec in SECTIONS:
        changes: list[FieldChange] = []
        if sec.kind == DOMAINS:
            for key, label in DOMAINS_LIST.items():
                before, after = _domain_text(a.domains.get(key)), _domain_text(b.domains.get(key))
                if before != after:
                    changes.append(FieldChange(label, before, after))
        else:
            labels = {f.key: f.label for f in sec.fields}
            if sec.key == "demographics":
                labels = {attr: label for attr, label, _ in DEMOGRAPHIC_FIELDS}
            keys = list(labels) + sorted((set(a.sections.get(sec.key, {})) | set(b.sections.get(sec.key, {})))
                                         - set(labels))
            for k in keys:
                if sec.key == "key_worker" and k != "name":
                    continue
                before, after = a.value(sec.key, k), b.value(sec.key, k)
                if before != after:
                    changes.append(FieldChange(labels.get(k, k.replace("_", " ").capitalize()), before, after))
        if sec.kind == GOALS:
            old = {g.id: g for g in a.goals}
            for i, g in enumerate(b.goals, 1):
                before = _goal_text(old.pop(g.id)) if g.id in old else ""
                after = _goal_text(g)
                if before != after:
                    changes.append(FieldChange(f"Goal {i}", before, after))
            for g in old.values():
                changes.append(FieldChange("Goal removed", _goal_text(g), ""))
        if changes:
            out.append(SectionChange(sec.key, sec.heading, tuple(changes)))
    return out


def changed_section_keys(a: PlanContent, b: PlanContent) -> list[str]:
    return [c.key for c in diff_content(a, b)]


# -- the service -------------------------------------------------------------------------------
class CarePlanService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # reading ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, resident_id: str | None = None, *, admission_id: str | None = None) -> CarePlanView:
        """The plan of an admission (default: the resident's latest admission). Audited."""
        with self._book._write() as s:
            adm = self._admission(s, resident_id, admission_id)
            view = self._view(s, adm)
            self._book._record(s, "care_plan.view", "care_plan", view.plan_id or adm.id, resident_id=adm.resident_id,
                              detail={"version": view.version.number if view.version else None})
            return view

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def missing_sections(self, admission_id: str) -> list[MissingSection]:
        with self._book._read() as s:
            adm = self._admission(s, None, admission_id)
            plan = self._plan_for(s, adm.id)
            content = self._current_content(s, plan) if plan else PlanContent()
            self._fill_from_record(s, adm, content)
            return self._missing(s, adm, content)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def versions(self, plan_id: str) -> list[VersionInfo]:
        """Every version, newest first, with who saved it, when and why. Audited."""
        with self._book._write() as s:
            plan = self._plan(s, plan_id)
            rows = s.scalars(select(CarePlanVersion).where(CarePlanVersion.plan_id == plan_id)
                             .order_by(CarePlanVersion.number.desc())).all()
            names = _names(s, {r.created_by for r in rows})
            self._book._record(s, "care_plan.history", "care_plan", plan_id, resident_id=plan.resident_id)
            return [_version_info(r, names) for r in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def version_content(self, version_id: str) -> tuple[VersionInfo, PlanContent]:
        with self._book._write() as s:
            v = self._version(s, version_id)
            plan = self._plan(s, v.plan_id)
            self._book._record(s, "care_plan.view", "care_plan", plan.id, resident_id=plan.resident_id,
                              detail={"version": v.number})
            return _version_info(v, _names(s, {v.created_by})), PlanContent.from_json(v.content)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def diff(self, version_a: str, version_b: str) -> list[SectionChange]:
        """What changed between two versions of the same plan (older first for a forward diff)."""
        with self._book._write() as s:
            a, b = self._version(s, version_a), self._version(s, version_b)
            if a.plan_id != b.plan_id:
                raise ValidationError({"version_b": "The two versions belong to different plans."})
            plan = self._plan(s, a.plan_id)
            self._book._record(s, "care_plan.diff", "care_plan", plan.id, resident_id=plan.resident_id,
                              detail={"versions": [a.number, b.number]})
            return diff_content(PlanContent.from_json(a.content), PlanContent.from_json(b.content))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def incomplete(self, scope: str = "mine") -> list[IncompletePlan]:
        """Current admissions without a complete plan; `overdue` once the admission day is over."""
        today = local_today(self._book.clock)
        with self._book._read() as s:
            q = (select(Admission.id, Admission.resident_id, Admission.admitted_on, Admission.key_worker_id,
                        Resident.given_name, Resident.family_name, Resident.reference, CarePlan.status)
                 .join(Resident, Resident.id == Admission.resident_id)
                 .outerjoin(CarePlan, CarePlan.admission_id == Admission.id)
                 .where(*_current_admission(), func.coalesce(CarePlan.status, "") != "complete")
                 .order_by(Admission.admitted_on, Resident.family_name))
            if scope == "mine":
                q = q.where(Admission.key_worker_id == self._book.actor.id)
            return [IncompletePlan(r.resident_id, r.id, f"{r.given_name} {r.family_name}", r.reference, r.admitted_on,
                                   r.key_worker_id, r.status or "not_started", r.admitted_on < today)
                    for r in s.execute(q)]

    def counts(self, session: Session) -> dict[str, Any]:
        today = local_today(self._book.clock)
        n = session.scalar(
            select(func.count()).select_from(Admission)
            .outerjoin(CarePlan, and_(CarePlan.admission_id == Admission.id, CarePlan.status == "complete"))
            .where(*_current_admission(), Admission.admitted_on < today, CarePlan.id.is_(None)))
        return {"care_plans_incomplete": int(n or 0)}

    # writing ---------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def save_draft(self, admission_id: str, content: PlanContent) -> CarePlanView:
        """Save the plan while it is a draft (the draft version is updated in place). Once the plan
        is complete, changes go through `revise` with a reason."""
        _validate_content(content, local_today(self._book.clock))
        with self._book._write() as s:
            adm = self._admission(s, None, admission_id)
            plan = self._plan_for(s, adm.id)
            content = content.copy()
            self._fill_from_record(s, adm, content)
            if plan is None:
                plan = CarePlan(resident_id=adm.resident_id, admission_id=adm.id, status="draft")
                s.add(plan)
                s.flush([plan])
                version = CarePlanVersion(plan_id=plan.id, number=1, content=content.to_json(), frozen=False)
                s.add(version)
                s.flush([version])
                plan.current_version_id = version.id
                changed = [k for k in changed_section_keys(PlanContent(), content)]
                action = "care_plan.create"
            else:
                if plan.status == "complete":
                    raise ValidationError({"": "This plan is complete. Record what changed and why as a new version."})
                version = self._version(s, plan.current_version_id)
                changed = changed_section_keys(PlanContent.from_json(version.content), content)
                version.content = content.to_json()
                action = "care_plan.save_draft"
            self._book._record(s, action, "care_plan", plan.id, resident_id=adm.resident_id,
                              detail={"version": version.number, "sections": changed})
            return self._view(s, adm)

    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def mark_complete(self, plan_id: str) -> CarePlanView:
        """Complete the plan: refused, listing every missing section, until all are filled."""
        with self._book._write() as s:
            plan = self._plan(s, plan_id)
            if plan.status == "complete":
                raise ValidationError({"": "This plan is already complete."})
            adm = self._admission(s, None, plan.admission_id)
            version = self._version(s, plan.current_version_id)
            content = PlanContent.from_json(version.content)
            self._fill_from_record(s, adm, content)  # the record may have been completed since
            missing = self._missing(s, adm, content)
            if missing:
                raise ValidationError({m.key: f"{m.heading}: {m.message}" for m in missing},
                                      "The plan cannot be marked complete. Still missing: "
                                      + "; ".join(f"{m.heading} ({m.message})" for m in missing))
            version.content = content.to_json()
            version.frozen = True
            plan.status = "complete"
            plan.completed_at = self._book.clock.now()
            plan.completed_by = self._book.actor.id
            self._book._record(s, "care_plan.complete", "care_plan", plan.id, resident_id=plan.resident_id,
                              detail={"version": version.number,
                                      "on_admission_day": local_today(self._book.clock) <= adm.admitted_on})
            return self._view(s, adm)

    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def revise(self, plan_id: str, content: PlanContent, reason: str) -> CarePlanView:
        """A change to a complete plan: a new frozen version with its parent and the reason."""
        with self._book._write() as s:
            version = self._revise_in(s, plan_id, content, reason)
            plan = self._plan(s, plan_id)
            return self._view(s, self._admission(s, None, plan.admission_id), version_id=version.id)

    def _revise_in(self, s: Session, plan_id: str, content: PlanContent, reason: str,
                  review_id: str | None = None) -> CarePlanVersion:
        """`revise` inside the caller's transaction (a review changing the plan uses this)."""
        _validate_content(content, local_today(self._book.clock))
        if not (reason or "").strip():
            raise ValidationError({"reason": "Say why the plan is changing."})
        plan = self._plan(s, plan_id)
        if plan.status != "complete":
            raise ValidationError({"": "The plan is still a draft: save the draft and mark it complete first."})
        adm = self._admission(s, None, plan.admission_id)
        parent = self._version(s, plan.current_version_id)
        content = content.copy()
        self._fill_from_record(s, adm, content)
        changed = changed_section_keys(PlanContent.from_json(parent.content), content)
        if not changed:
            raise ValidationError({"": "Nothing in the plan has changed."})
        # Typed sections must stay filled. Gaps in what is copied from the record (say, a resident's
        # ethnicity cleared) are the record's to fix and must not block a review's plan changes.
        missing = [m for m in missing_sections(content) if SECTIONS_BY_KEY[m.key].kind != FROM_RECORD]
        if missing:
            raise ValidationError({m.key: f"{m.heading}: {m.message}" for m in missing},
                                  "A complete plan must stay complete. Missing: "
                                  + "; ".join(f"{m.heading} ({m.message})" for m in missing))
        version = CarePlanVersion(plan_id=plan.id, number=parent.number + 1, parent_version_id=parent.id,
                                  content=content.to_json(), frozen=True, reason=reason.strip(), review_id=review_id)
        s.add(version)
        s.flush([version])
        plan.current_version_id = version.id
        self._book._record(s, "care_plan.revise", "care_plan", plan.id, resident_id=plan.resident_id,
                          detail={"version": version.number, "sections": changed,
                                  **({"review_id": review_id} if review_id else {})})
        return version

    @typed_inputs(requires=Permission.EDIT_CARE_PLANS)
    def record_agreement(self, plan_id: str, agreed_on: date, method: str, note: str | None = None) -> CarePlanView:
        """The resident's agreement to the current version: signed paper copy, verbal, or declined
        to sign (with the reason)."""
        errors: dict[str, str] = {}
        if method not in AGREEMENT_METHODS:
            errors["method"] = "Choose how the resident agreed: signed paper copy, verbally, or declined to sign."
        if method == "declined" and not (note or "").strip():
            errors["note"] = "Record the reason the resident declined to sign."
        if agreed_on > local_today(self._book.clock):
            errors["agreed_on"] = "The date of agreement cannot be in the future."
        elif message := date_ranges.out_of_range("Date of agreement", agreed_on,
                                                 *date_ranges.recorded(local_today(self._book.clock))):
            errors["agreed_on"] = message
        if errors:
            raise ValidationError(errors)
        with self._book._write() as s:
            plan = self._plan(s, plan_id)
            if plan.status != "complete":
                raise ValidationError({"": "Mark the plan complete before recording the resident's agreement."})
            adm = self._admission(s, None, plan.admission_id)
            if agreed_on < adm.admitted_on:
                raise ValidationError({"agreed_on": "The date of agreement is before the admission."})
            plan.agreed_on = agreed_on
            plan.agreement_method = method
            plan.agreement_note = (note or "").strip() or None
            plan.agreement_version_id = plan.current_version_id
            plan.agreement_recorded_by = self._book.actor.id
            agreed = self._version(s, plan.current_version_id)
            self._book._record(s, "care_plan.agreement", "care_plan", plan.id, resident_id=plan.resident_id,
                              detail={"method": method, "agreed_on": agreed_on.isoformat(),
                                      "version": agreed.number})
            return self._view(s, adm)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def pdf(self, plan_id: str, version_id: str | None = None) -> Preview:
        """The resident's copy of the plan (current version by default) as a PDF to preview. It is
        filed in the resident's documents when printed or saved (`documents.keep`)."""
        from keyworker.documents import care_plan_pdf
        from keyworker.unit_profile import read_profile

        with self._book._write() as s:
            plan = self._plan(s, plan_id)
            adm = self._admission(s, None, plan.admission_id)
            view = self._view(s, adm, version_id=version_id)
            data = care_plan_pdf.build(view, profile=read_profile(s), generated_at=self._book.clock.now())
            number = view.version.number if view.version else 0
            draft = "" if view.complete else " DRAFT"
            return self._book.documents._preview(
                s, kind="care_plan", title=f"Care plan v{number}{draft} ({view.reference})", content=data,
                resident_id=plan.resident_id, subject_id=view.version.id if view.version else None,
                detail={"version": number})

    # helpers ---------------------------------------------------------------------------------
    def _admission(self, s: Session, resident_id: str | None, admission_id: str | None) -> Admission:
        if admission_id:
            adm = s.get(Admission, admission_id)
        elif resident_id:
            adm = s.scalars(select(Admission).where(Admission.resident_id == resident_id)
                            .order_by(Admission.admitted_on.desc(), Admission.created_at.desc()).limit(1)).first()
        else:
            raise ValidationError({"": "Say which resident or admission."})
        if adm is None:
            raise NotFound("That resident has no admission.")
        return adm

    def _plan(self, s: Session, plan_id: str) -> CarePlan:
        plan = s.get(CarePlan, plan_id)
        if plan is None:
            raise NotFound("That care plan does not exist.")
        return plan

    def _plan_for(self, s: Session, admission_id: str) -> CarePlan | None:
        return s.scalars(select(CarePlan).where(CarePlan.admission_id == admission_id)).first()

    def _version(self, s: Session, version_id: str | None) -> CarePlanVersion:
        v = s.get(CarePlanVersion, version_id) if version_id else None
        if v is None:
            raise NotFound("That care plan version does not exist.")
        return v

    def _current_content(self, s: Session, plan: CarePlan) -> PlanContent:
        return PlanContent.from_json(self._version(s, plan.current_version_id).content)

    def _fill_from_record(self, s: Session, adm: Admission, content: PlanContent) -> None:
        """The key worker and demographics sections are copied from the record into each version,
        and the current risk assessment's summary and contingency plan into the risk section."""
        worker = s.get(Account, adm.key_worker_id) if adm.key_worker_id else None
        content.sections["key_worker"] = {"name": worker.full_name if worker else "", "account_id": adm.key_worker_id or ""}
        res = s.get(Resident, adm.resident_id)
        assert res is not None
        content.sections["demographics"] = demographics_of(res)
        fill_risk_section(content, self._book.risk._for_plan(s, adm.id))

    def _missing(self, s: Session, adm: Admission, content: PlanContent) -> list[MissingSection]:
        """What stops completion: the sections, and a current risk assessment with a contingency plan."""
        return with_risk_problem(missing_sections(content), self._book.risk._for_plan(s, adm.id))

    def _view(self, s: Session, adm: Admission, version_id: str | None = None) -> CarePlanView:
        res = s.get(Resident, adm.resident_id)
        assert res is not None
        plan = self._plan_for(s, adm.id)
        worker = s.get(Account, adm.key_worker_id)
        version: CarePlanVersion | None = None
        if plan is not None:
            version = self._version(s, version_id or plan.current_version_id)
            if version.plan_id != plan.id:
                raise ValidationError({"version_id": "That version belongs to another plan."})
        content = PlanContent.from_json(version.content) if version else PlanContent()
        if version is None or not version.frozen:
            self._fill_from_record(s, adm, content)
        agreement = None
        if plan is not None and plan.agreed_on and plan.agreement_method:
            vnum = s.scalar(select(CarePlanVersion.number).where(CarePlanVersion.id == plan.agreement_version_id))
            agreement = Agreement(plan.agreed_on, plan.agreement_method, AGREEMENT_METHODS[plan.agreement_method],
                                  plan.agreement_note, vnum)
        status = plan.status if plan else "not_started"
        return CarePlanView(
            plan_id=plan.id if plan else None, resident_id=res.id, admission_id=adm.id,
            resident_name=f"{res.given_name} {res.family_name}", reference=res.reference,
            admitted_on=adm.admitted_on, planned_weeks=adm.planned_weeks, key_worker_id=adm.key_worker_id,
            key_worker_name=worker.full_name if worker else "", status=status,
            completed_at=plan.completed_at if plan else None,
            version=_version_info(version, _names(s, {version.created_by})) if version else None,
            content=content, missing=tuple(self._missing(s, adm, content)) if status != "complete" else (),
            agreement=agreement,
            overdue=status != "complete" and adm.discharged_on is None and adm.admitted_on < local_today(self._book.clock),
        )


def demographics_of(res: Resident) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr, _label, _req in DEMOGRAPHIC_FIELDS:
        if attr == "full_name":
            value: Any = f"{res.given_name} {res.family_name}".strip()
            if res.preferred_name:
                value += f" (known as {res.preferred_name})"
        elif attr == "next_of_kin":
            value = ", ".join(x for x in (res.next_of_kin_name, res.next_of_kin_relationship, res.next_of_kin_phone) if x)
        elif attr == "date_of_birth":
            value = format_date(res.date_of_birth)
        else:
            value = getattr(res, attr, None)
        out[attr] = str(value) if value not in (None, "") else ""
    return out


def fill_risk_section(content: PlanContent, risk: RiskView | None) -> None:
    """The risk section shows the current assessment: its summary and contingency plan always;
    the plan's own naloxone, referral-back and risk management answers are filled from it when empty."""
    sec = content.sections.setdefault("risk_contingency", {})
    content.risk_assessment_id = risk.assessment_id if risk else None
    summary, contingency = FROM_RISK_ASSESSMENT
    sec[summary] = risk.summary if risk else ""
    sec[contingency] = "\n".join(risk.contingency.lines()) if risk else ""
    if risk is None:
        return
    for key, value in (("naloxone", risk.contingency.naloxone), ("ctp_referral", risk.contingency.ctp_referral),
                       ("risk_management", risk.management_text)):
        if not sec.get(key, "").strip() and value.strip():
            sec[key] = value


def with_risk_problem(missing: list[MissingSection], risk: RiskView | None) -> list[MissingSection]:
    """`missing` with the risk section refused while there is no current assessment with a
    contingency plan for an unplanned discharge (issue 10)."""
    if risk is None:
        problem = "no current risk assessment (record one on the Risk tab)"
    elif not risk.has_contingency:
        gaps = [label.lower() for key, label in CONTINGENCY_FIELDS.items() if not getattr(risk.contingency, key).strip()]
        problem = "the risk assessment's contingency plan is not complete: " + ", ".join(gaps)
    else:
        return missing
    out, merged = [], False
    for m in missing:
        if m.key == "risk_contingency":
            m, merged = MissingSection(m.key, m.heading, f"{m.message}; {problem}"), True
        out.append(m)
    if not merged:
        out.append(MissingSection("risk_contingency", SECTIONS_BY_KEY["risk_contingency"].heading, problem))
        order = [sec.key for sec in SECTIONS]
        out.sort(key=lambda m: order.index(m.key) if m.key in order else len(order))
    return out


def _current_admission() -> tuple[Any, ...]:
    return (Admission.discharged_on.is_(None), Admission.archived.is_(False))


def _names(s: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(s.execute(select(Account.id, Account.full_name).where(Account.id.in_(wanted))).tuples().all())


def _version_info(v: CarePlanVersion, names: dict[str, str]) -> VersionInfo:
    return VersionInfo(v.id, v.number, v.created_at, v.created_by, names.get(v.created_by or "", ""), v.reason,
                       v.frozen, v.review_id, v.parent_version_id)

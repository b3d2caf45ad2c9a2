"""Risk assessments (issue 10; Lancashire specification 4.1.5.3.3, 4.1.7.5-4.1.7.6).

`book.risk` is a `RiskService`: one assessment per admission, versioned like the care plan (each
save is a new version with who, when and why; history and a diff in words), with a rating and
evidence for each of the nine domains (keyworker/risk_domains.py), an overall level that may not
be lower than the highest domain rating without a reason, a risk management plan, the
contingency plan for an unplanned discharge and a review date (4 weeks; 1 week when high; later
only with a reason). Other areas ask for a new assessment with `prompt(...)` inside their own
transaction (an incident, a relapse); the next saved version answers it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker import date_ranges
from keyworker import risk_domains as rd
from keyworker.clock import format_date, local_today
from keyworker.db.caseload import Admission, Resident
from keyworker.db.foundation import Account
from keyworker.db.risk import RiskAssessment, RiskAssessmentVersion, RiskReviewPrompt
from keyworker.documents.store import Preview
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

EVIDENCE_MAX = 4000
TEXT_MAX = 2000
ACTIONS_MAX = 30


# -- input (also shown back, frozen) ---------------------------------------------------------------
@dataclass(frozen=True)
class DomainRating:
    key: str  # a key of risk_domains.DOMAINS_BY_KEY
    rating: str  # low / medium / high
    evidence: str = ""


@dataclass(frozen=True)
class RiskAction:
    """One line of the risk management plan."""

    what: str
    who: str
    by_when: date


@dataclass(frozen=True)
class Contingency:
    """The contingency plan for an unplanned discharge (4.1.7.5)."""

    naloxone: str = ""  # naloxone supplied or harm-reduction advice given
    ctp_referral: str = ""  # referral back to the Community Treatment Provider, as consented at admission
    likely_destination: str = ""  # where the resident would likely go
    who_to_tell: str = ""  # who must be told

    @property
    def complete(self) -> bool:
        return all(getattr(self, k).strip() for k in rd.CONTINGENCY_FIELDS)

    def lines(self) -> list[str]:
        return [f"{label}: {getattr(self, k).strip()}" for k, label in rd.CONTINGENCY_FIELDS.items()
                if getattr(self, k).strip()]


@dataclass
class RiskInput:
    domains: list[DomainRating]
    overall_level: str
    contingency: Contingency = field(default_factory=Contingency)
    actions: list[RiskAction] = field(default_factory=list)
    overall_reason: str = ""  # required when the overall level is lower than the highest domain rating
    review_on: date | None = None  # default: 4 weeks, or 1 week when high
    review_reason: str = ""  # required when the review date is later than the default


# -- output ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DomainView:
    key: str
    label: str
    rating: str
    evidence: str

    @property
    def rating_label(self) -> str:
        return rd.level_label(self.rating)


@dataclass(frozen=True)
class ReviewPrompt:
    """Why a new assessment is due, in words a key worker reads."""

    reason: str  # not_assessed / overdue / high / incident / relapse / safeguarding / other
    text: str
    since: date | None


@dataclass(frozen=True)
class RiskView:
    assessment_id: str
    admission_id: str
    resident_id: str
    resident_name: str
    reference: str
    version_id: str
    number: int
    saved_at: datetime
    saved_by: str  # full name
    reason: str | None
    domains: tuple[DomainView, ...]
    suggested_level: str
    overall_level: str
    overall_reason: str
    actions: tuple[RiskAction, ...]
    contingency: Contingency
    review_on: date
    review_reason: str
    overdue: bool
    is_current: bool
    prompts: tuple[ReviewPrompt, ...] = ()

    @property
    def overall_label(self) -> str:
        return rd.level_label(self.overall_level)

    @property
    def has_contingency(self) -> bool:
        return self.contingency.complete

    @property
    def summary(self) -> str:
        """One paragraph for the care plan and the header: the level, the domains above low, the review."""
        return summary_of(self.overall_level, [(d.label, d.rating) for d in self.domains], self.overall_reason,
                          self.review_on, self.saved_at, self.number, overdue=self.overdue)

    @property
    def management_text(self) -> str:
        return "\n".join(f"{a.what} ({a.who}, by {format_date(a.by_when)})" for a in self.actions)


@dataclass(frozen=True)
class RiskVersionInfo:
    version_id: str
    number: int
    saved_at: datetime
    saved_by: str
    reason: str | None
    overall_level: str
    review_on: date

    @property
    def overall_label(self) -> str:
        return rd.level_label(self.overall_level)


@dataclass(frozen=True)
class RiskReviewDue:
    """A row of Today's "risk reviews overdue": whose, since when and why."""

    resident_id: str
    admission_id: str
    name: str
    reference: str
    key_worker_id: str
    overall_level: str  # "" when not yet assessed
    review_on: date | None
    why: str
    overdue_days: int

    @property
    def overall_label(self) -> str:
        return rd.level_label(self.overall_level)


# -- rules -------------------------------------------------------------------------------------------
def summary_of(overall_level: str, ratings: list[tuple[str, str]], overall_reason: str, review_on: date,
               saved_at: datetime, number: int, *, overdue: bool = False) -> str:
    """The assessment in one paragraph (RiskView.summary; the demo's care plans use it too)."""
    parts = [f"Overall risk: {rd.level_label(overall_level)} (assessed {format_date(saved_at)}, version {number})."]
    for level in (rd.HIGH, rd.MEDIUM):
        names = [label for label, rating in ratings if rating == level]
        if names:
            parts.append(f"Rated {rd.LEVELS[level].lower()}: {', '.join(names)}.")
    if overall_reason:
        parts.append(f"Overall level set below the highest rating because: {overall_reason}")
    parts.append(f"Next review by {format_date(review_on)}{' (overdue)' if overdue else ''}.")
    return " ".join(parts)


def _text_problem(label: str, value: str, limit: int, required: bool) -> str | None:
    if required and not value.strip():
        return f"{label}: this is required."
    if len(value) > limit:
        return f"{label} is too long (at most {limit} characters)."
    return None


def validate(data: RiskInput, today: date) -> dict[str, Any]:
    """The content to store for `data`, or a ValidationError naming each field a person must fix."""
    errors: dict[str, str] = {}
    seen: dict[str, DomainRating] = {}
    for d in data.domains:
        if d.key not in rd.DOMAINS_BY_KEY:
            errors["domains"] = "One of the risk areas is not known. Reopen the form and try again."
            continue
        label = rd.DOMAINS_BY_KEY[d.key].label
        if d.key in seen:
            errors[f"domains.{d.key}"] = f"{label} is rated twice."
        elif d.rating not in rd.LEVELS:
            errors[f"domains.{d.key}"] = f"{label}: choose low, medium or high."
        else:
            why = _text_problem(f"{label} evidence", d.evidence, EVIDENCE_MAX, True)
            if why:
                errors[f"domains.{d.key}"] = why
        seen[d.key] = d
    missing = [dm.label for dm in rd.DOMAINS if dm.key not in seen]
    if missing:
        errors["domains"] = "Rate every risk area. Not yet rated: " + ", ".join(missing) + "."
    suggested = rd.suggested_level([d.rating for d in seen.values()])
    if data.overall_level not in rd.LEVELS:
        errors["overall_level"] = "Overall level: choose low, medium or high."
    elif rd.rank(data.overall_level) < rd.rank(suggested) and not data.overall_reason.strip():
        errors["overall_reason"] = (f"The overall level is lower than the highest rating ({rd.LEVELS[suggested]}): "
                                    "say why it is lower.")
    if why := _text_problem("Reason for the overall level", data.overall_reason, TEXT_MAX, False):
        errors["overall_reason"] = why
    if len(data.actions) > ACTIONS_MAX:
        errors["actions"] = f"The risk management plan has more than {ACTIONS_MAX} actions."
    for i, a in enumerate(data.actions[:ACTIONS_MAX], 1):
        for key, label, value in (("what", "what will be done", a.what), ("who", "who will do it", a.who)):
            if why := _text_problem(f"Action {i}: {label}", value, TEXT_MAX, True):
                errors[f"actions.{i}.{key}"] = why
        low, high = date_ranges.planned(today)
        if why := date_ranges.out_of_range(f"Action {i}: by when", a.by_when, low, high):
            errors[f"actions.{i}.by_when"] = why
    for key, label in rd.CONTINGENCY_FIELDS.items():
        if why := _text_problem(label, getattr(data.contingency, key), TEXT_MAX, False):
            errors[f"contingency.{key}"] = why
    level = data.overall_level if data.overall_level in rd.LEVELS else suggested
    default = rd.default_review_on(today, level)
    review_on = data.review_on or default
    if review_on < today:
        errors["review_on"] = "The review date cannot be in the past."
    elif review_on > today + date_ranges.PLANNING_HORIZON:
        errors["review_on"] = date_ranges.out_of_range("The review date", review_on, today,
                                                       today + date_ranges.PLANNING_HORIZON) or ""
    elif review_on > default and not data.review_reason.strip():
        weeks = "1 week" if level == rd.HIGH else "4 weeks"
        errors["review_reason"] = (f"The review date is later than {format_date(default)} ({weeks}): "
                                   "say why it can wait.")
    if why := _text_problem("Reason for the later review", data.review_reason, TEXT_MAX, False):
        errors["review_reason"] = why
    if errors:
        raise ValidationError(errors, " ".join(errors.values()))
    by_key = {d.key: d for d in data.domains}
    return {
        "assessed_on": today.isoformat(),
        "domains": [{"key": k, "rating": by_key[k].rating, "evidence": by_key[k].evidence.strip()}
                    for k in rd.DOMAIN_KEYS],
        "suggested_level": suggested,
        "overall_level": data.overall_level,
        "overall_reason": data.overall_reason.strip(),
        "actions": [{"what": a.what.strip(), "who": a.who.strip(), "by_when": a.by_when.isoformat()}
                    for a in data.actions],
        "contingency": {k: getattr(data.contingency, k).strip() for k in rd.CONTINGENCY_FIELDS},
        "review_on": review_on.isoformat(),
        "review_reason": data.review_reason.strip(),
    }


def diff_content(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What changed from `a` to `b`, one sentence each, in the order of the form."""
    out: list[str] = []
    old = {d["key"]: d for d in a.get("domains", [])}
    for d in b.get("domains", []):
        label = rd.DOMAINS_BY_KEY[d["key"]].label if d["key"] in rd.DOMAINS_BY_KEY else d["key"]
        was = old.get(d["key"], {})
        if was.get("rating") != d["rating"]:
            out.append(f"{label}: {rd.level_label(was.get('rating'))} → {rd.level_label(d['rating'])}.")
        if was.get("evidence", "") != d["evidence"]:
            out.append(f"{label} evidence: “{was.get('evidence', '')}” → “{d['evidence']}”.")
    if a.get("overall_level") != b.get("overall_level"):
        out.append(f"Overall level: {rd.level_label(a.get('overall_level'))} → {rd.level_label(b.get('overall_level'))}.")
    if a.get("overall_reason", "") != b.get("overall_reason", ""):
        out.append(f"Reason for the overall level: “{a.get('overall_reason', '')}” → “{b.get('overall_reason', '')}”.")
    def action_text(x: dict[str, Any]) -> str:
        return f"{x['what']} ({x['who']}, by {format_date(date.fromisoformat(x['by_when']))})"
    before = [action_text(x) for x in a.get("actions", [])]
    after = [action_text(x) for x in b.get("actions", [])]
    out += [f"Action removed: {t}." for t in before if t not in after]
    out += [f"Action added: {t}." for t in after if t not in before]
    ca, cb = a.get("contingency", {}), b.get("contingency", {})
    for key, label in rd.CONTINGENCY_FIELDS.items():
        if ca.get(key, "") != cb.get(key, ""):
            out.append(f"{label}: “{ca.get(key, '')}” → “{cb.get(key, '')}”.")
    if a.get("review_on") != b.get("review_on"):
        out.append(f"Review date: {_iso_uk(a.get('review_on'))} → {_iso_uk(b.get('review_on'))}.")
    return out


def _iso_uk(value: Any) -> str:
    return format_date(date.fromisoformat(value)) if isinstance(value, str) and value else "none"


def _changed_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Which parts changed, for the audit entry (names of parts, never their content)."""
    old = {d["key"]: d for d in a.get("domains", [])}
    keys = [d["key"] for d in b.get("domains", []) if old.get(d["key"]) != d]
    for part in ("overall_level", "overall_reason", "actions", "contingency", "review_on"):
        if a.get(part) != b.get(part):
            keys.append(part)
    return keys


# -- the service -------------------------------------------------------------------------------------
class RiskService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # reading (audited) -----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def current(self, admission_id: str | None = None, *, resident_id: str | None = None) -> RiskView | None:
        """The current assessment of an admission (default: the resident's latest), or None when
        there is none yet. Audited."""
        with self._book._write() as s:
            adm = self._admission(s, admission_id, resident_id)
            ra = self._assessment_for(s, adm.id)
            view = self._view(s, adm, ra, ra.current_version_id) if ra else None
            self._book._record(s, "risk.view", "admission", adm.id, resident_id=adm.resident_id,
                              detail={"version": view.number if view else None})
            return view

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def version(self, version_id: str) -> RiskView:
        """One version as it was saved. Audited."""
        with self._book._write() as s:
            v = self._version(s, version_id)
            ra = s.get(RiskAssessment, v.assessment_id)
            assert ra is not None
            adm = self._admission(s, ra.admission_id, None)
            self._book._record(s, "risk.view", "admission", adm.id, resident_id=adm.resident_id,
                              detail={"version": v.number})
            return self._view(s, adm, ra, v.id)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def history(self, admission_id: str) -> list[RiskVersionInfo]:
        """Every version, newest first, with who saved it, when and why. Audited."""
        with self._book._write() as s:
            adm = self._admission(s, admission_id, None)
            ra = self._assessment_for(s, adm.id)
            rows = [] if ra is None else s.scalars(
                select(RiskAssessmentVersion).where(RiskAssessmentVersion.assessment_id == ra.id)
                .order_by(RiskAssessmentVersion.number.desc())).all()
            names = _names(s, {r.created_by for r in rows})
            self._book._record(s, "risk.history", "admission", adm.id, resident_id=adm.resident_id)
            out = []
            for r in rows:
                c = json.loads(r.content)
                out.append(RiskVersionInfo(r.id, r.number, r.created_at, names.get(r.created_by or "", ""), r.reason,
                                           c["overall_level"], date.fromisoformat(c["review_on"])))
            return out

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def diff(self, version_a: str, version_b: str) -> list[str]:
        """What changed between two versions of one assessment (older first), in words. Audited."""
        with self._book._write() as s:
            a, b = self._version(s, version_a), self._version(s, version_b)
            if a.assessment_id != b.assessment_id:
                raise ValidationError({"version_b": "The two versions belong to different assessments."},
                                      "The two versions belong to different assessments.")
            ra = s.get(RiskAssessment, a.assessment_id)
            assert ra is not None
            self._book._record(s, "risk.diff", "admission", ra.admission_id, resident_id=ra.resident_id,
                              detail={"versions": [a.number, b.number]})
            return diff_content(json.loads(a.content), json.loads(b.content))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def pdf(self, admission_id: str, version_id: str | None = None) -> Preview:
        """The assessment (current version by default) printed, to preview; filed in the resident's
        documents when printed or saved (`documents.keep`), as the care plan is."""
        from keyworker.documents import risk_assessment_pdf
        from keyworker.unit_profile import read_profile

        with self._book._write() as s:
            adm = self._admission(s, admission_id, None)
            ra = self._assessment_for(s, adm.id)
            if ra is None:
                raise NotFound("There is no risk assessment to print yet.")
            v = self._version(s, version_id or ra.current_version_id)
            if v.assessment_id != ra.id:
                raise ValidationError({"version_id": "That version belongs to another assessment."},
                                      "That version belongs to another assessment.")
            view = self._view(s, adm, ra, v.id)
            data = risk_assessment_pdf.build(view, profile=read_profile(s), generated_at=self._book.clock.now())
            return self._book.documents._preview(
                s, kind="risk_assessment", title=f"Risk assessment v{view.number} ({view.reference})",
                content=data, resident_id=adm.resident_id, subject_id=v.id, detail={"version": view.number})

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def needs_review(self, admission_id: str) -> list[ReviewPrompt]:
        """Why a new assessment is due now (empty when none is): not yet assessed, the review date
        passed, rated high, or an incident or relapse since the last save. Audited."""
        with self._book._write() as s:
            adm = self._admission(s, admission_id, None)
            ra = self._assessment_for(s, adm.id)
            self._book._record(s, "risk.view", "admission", adm.id, resident_id=adm.resident_id,
                              detail={"part": "prompts"})
            return self._prompts(s, adm, ra)

    # lists (rows only, not audited) ------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def overdue(self, scope: str = "mine") -> list[RiskReviewDue]:
        """Current admissions whose risk review is due: the review date has passed, or an incident
        or relapse asked for one. Most overdue first. `scope` 'mine': the signed-in user's residents."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose your residents or the whole unit."},
                                  "Choose your residents or the whole unit.")
        today = local_today(self._book.clock)
        with self._book._read() as s:
            base = (select(Admission.id, Admission.resident_id, Admission.key_worker_id, Resident.given_name,
                           Resident.family_name, Resident.reference, RiskAssessment.overall_level,
                           RiskAssessment.review_on)
                    .join(Resident, Resident.id == Admission.resident_id)
                    .where(Admission.discharged_on.is_(None), Admission.archived.is_(False)))
            if scope == "mine":
                base = base.where(Admission.key_worker_id == self._book.actor.id)
            late = base.join(RiskAssessment, RiskAssessment.admission_id == Admission.id) \
                .where(RiskAssessment.review_on < today, RiskAssessment.archived.is_(False))
            found: dict[str, RiskReviewDue] = {}
            for r in s.execute(late):
                days = (today - r.review_on).days
                found[r.id] = RiskReviewDue(r.resident_id, r.id, f"{r.given_name} {r.family_name}", r.reference,
                                            r.key_worker_id, r.overall_level, r.review_on,
                                            f"Risk review was due on {format_date(r.review_on)}", days)
            prompted = base.outerjoin(RiskAssessment, RiskAssessment.admission_id == Admission.id) \
                .join(RiskReviewPrompt, RiskReviewPrompt.admission_id == Admission.id) \
                .add_columns(RiskReviewPrompt.reason, RiskReviewPrompt.note, RiskReviewPrompt.raised_at) \
                .where(RiskReviewPrompt.answered_by_version_id.is_(None), RiskReviewPrompt.archived.is_(False)) \
                .order_by(RiskReviewPrompt.raised_at)
            for r in s.execute(prompted):
                if r.id in found:
                    continue
                on = r.raised_at.date()
                found[r.id] = RiskReviewDue(r.resident_id, r.id, f"{r.given_name} {r.family_name}", r.reference,
                                            r.key_worker_id, r.overall_level or "", r.review_on,
                                            prompt_text(r.reason, r.note, on),
                                            max(0, (today - on).days))
            return sorted(found.values(), key=lambda x: (-x.overdue_days, x.name))

    def counts(self, session: Session) -> dict[str, Any]:
        today = local_today(self._book.clock)
        n = session.scalar(
            select(func.count()).select_from(RiskAssessment)
            .join(Admission, Admission.id == RiskAssessment.admission_id)
            .where(RiskAssessment.review_on < today, RiskAssessment.archived.is_(False),
                   Admission.discharged_on.is_(None), Admission.archived.is_(False)))
        return {"risk_reviews_overdue": int(n or 0)}

    # writing -------------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_RISK)
    def record(self, admission_id: str, data: RiskInput) -> RiskView:
        """The first risk assessment of an admission (version 1)."""
        with self._book._write() as s:
            adm = self._open_admission(s, admission_id)
            if self._assessment_for(s, adm.id) is not None:
                raise ValidationError({"": "This stay already has a risk assessment: revise it and say what changed."})
            content = validate(data, local_today(self._book.clock))
            ra = RiskAssessment(resident_id=adm.resident_id, admission_id=adm.id,
                                overall_level=content["overall_level"],
                                review_on=date.fromisoformat(content["review_on"]))
            s.add(ra)
            s.flush([ra])
            v = self._save_version(s, ra, content, None, None)
            self._book._record(s, "risk.record", "admission", adm.id, resident_id=adm.resident_id,
                              detail={"version": v.number, "answered": self._answer_prompts(s, adm.id, v.id)})
            return self._view(s, adm, ra, v.id)

    @typed_inputs(requires=Permission.RECORD_RISK)
    def revise(self, admission_id: str, data: RiskInput, reason: str) -> RiskView:
        """A new version of the admission's assessment, with why it changed."""
        with self._book._write() as s:
            adm = self._open_admission(s, admission_id)
            ra = self._assessment_for(s, adm.id)
            if ra is None:
                raise ValidationError({"": "There is no risk assessment to revise yet: record the first one."})
            if not reason.strip():
                raise ValidationError({"reason": "Say why the risk assessment is changing."},
                                      "Say why the risk assessment is changing.")
            if len(reason) > TEXT_MAX:
                raise ValidationError({"reason": "The reason is too long."}, "The reason is too long.")
            content = validate(data, local_today(self._book.clock))
            parent = self._version(s, ra.current_version_id)
            before = json.loads(parent.content)
            changed = _changed_keys(before, content)
            if not changed:
                raise ValidationError({"": "Nothing in the risk assessment has changed."})
            v = self._save_version(s, ra, content, parent, reason.strip())
            self._book._record(s, "risk.revise", "admission", adm.id, resident_id=adm.resident_id,
                              detail={"version": v.number, "parts": changed,
                                      "answered": self._answer_prompts(s, adm.id, v.id)})
            return self._view(s, adm, ra, v.id)

    @typed_inputs
    def prompt(self, session: Session, admission_id: str, reason: str, *, source_id: str | None = None,
               note: str = "") -> None:
        """Ask for a new assessment, inside the caller's transaction (the incidents area, after its
        own permission check): an open prompt and its audit entry. Checks no permission itself."""
        if reason not in rd.PROMPT_REASONS:
            raise ValidationError({"reason": "That is not a reason for a new risk assessment."},
                                  "That is not a reason for a new risk assessment.")
        adm = session.get(Admission, admission_id)
        if adm is None:
            raise NotFound("That stay does not exist.")
        session.add(RiskReviewPrompt(resident_id=adm.resident_id, admission_id=adm.id, reason=reason,
                                     source_id=source_id, note=note.strip()[:TEXT_MAX] or None,
                                     raised_at=self._book.clock.now()))
        self._book._record(session, "risk.prompt", "admission", adm.id, resident_id=adm.resident_id,
                          detail={"reason": reason})

    # for the care plan (inside its transaction; the plan's own read is audited) -------------------
    def _for_plan(self, s: Session, admission_id: str) -> RiskView | None:
        adm = s.get(Admission, admission_id)
        ra = self._assessment_for(s, admission_id) if adm else None
        return self._view(s, adm, ra, ra.current_version_id) if adm and ra else None

    # helpers -------------------------------------------------------------------------------------------
    def _save_version(self, s: Session, ra: RiskAssessment, content: dict[str, Any],
                      parent: RiskAssessmentVersion | None, reason: str | None) -> RiskAssessmentVersion:
        v = RiskAssessmentVersion(assessment_id=ra.id, number=(parent.number + 1) if parent else 1,
                                  parent_version_id=parent.id if parent else None,
                                  content=json.dumps(content, sort_keys=True), reason=reason)
        s.add(v)
        s.flush([v])
        ra.current_version_id = v.id
        ra.overall_level = content["overall_level"]
        ra.review_on = date.fromisoformat(content["review_on"])
        return v

    def _answer_prompts(self, s: Session, admission_id: str, version_id: str) -> int:
        open_ = s.scalars(select(RiskReviewPrompt).where(RiskReviewPrompt.admission_id == admission_id,
                                                         RiskReviewPrompt.answered_by_version_id.is_(None))).all()
        for p in open_:
            p.answered_by_version_id = version_id
        return len(open_)

    def _prompts(self, s: Session, adm: Admission, ra: RiskAssessment | None) -> list[ReviewPrompt]:
        today = local_today(self._book.clock)
        out: list[ReviewPrompt] = []
        if adm.discharged_on is not None:
            return out
        if ra is None:
            out.append(ReviewPrompt("not_assessed", "There is no risk assessment for this stay yet.", adm.admitted_on))
        else:
            if ra.review_on < today:
                out.append(ReviewPrompt("overdue", f"The risk review was due on {format_date(ra.review_on)}.",
                                        ra.review_on))
            if ra.overall_level == rd.HIGH:
                out.append(ReviewPrompt("high", "Rated high risk: review at least weekly "
                                                f"(next by {format_date(ra.review_on)}).", ra.review_on))
        for p in s.scalars(select(RiskReviewPrompt).where(RiskReviewPrompt.admission_id == adm.id,
                                                          RiskReviewPrompt.answered_by_version_id.is_(None),
                                                          RiskReviewPrompt.archived.is_(False))
                           .order_by(RiskReviewPrompt.raised_at)):
            on = p.raised_at.date()
            out.append(ReviewPrompt(p.reason, prompt_text(p.reason, p.note, on) + ".", on))
        return out

    def _admission(self, s: Session, admission_id: str | None, resident_id: str | None) -> Admission:
        if admission_id:
            adm = s.get(Admission, admission_id)
        elif resident_id:
            adm = s.scalars(select(Admission).where(Admission.resident_id == resident_id)
                            .order_by(Admission.admitted_on.desc(), Admission.created_at.desc()).limit(1)).first()
        else:
            raise ValidationError({"": "Say which resident or stay."})
        if adm is None or adm.archived:
            raise NotFound("That resident has no admission.")
        return adm

    def _open_admission(self, s: Session, admission_id: str) -> Admission:
        adm = self._admission(s, admission_id, None)
        if adm.discharged_on is not None:
            raise ValidationError({"": "This stay has ended: its risk assessment can no longer change."})
        return adm

    def _assessment_for(self, s: Session, admission_id: str) -> RiskAssessment | None:
        return s.scalars(select(RiskAssessment).where(RiskAssessment.admission_id == admission_id,
                                                      RiskAssessment.archived.is_(False))).first()

    def _version(self, s: Session, version_id: str | None) -> RiskAssessmentVersion:
        v = s.get(RiskAssessmentVersion, version_id) if version_id else None
        if v is None:
            raise NotFound("That version of the risk assessment does not exist.")
        return v

    def _view(self, s: Session, adm: Admission, ra: RiskAssessment, version_id: str | None) -> RiskView:
        v = self._version(s, version_id)
        c = json.loads(v.content)
        res = s.get(Resident, adm.resident_id)
        assert res is not None
        review_on = date.fromisoformat(c["review_on"])
        current = v.id == ra.current_version_id
        today = local_today(self._book.clock)
        return RiskView(
            assessment_id=ra.id, admission_id=adm.id, resident_id=res.id,
            resident_name=f"{res.given_name} {res.family_name}", reference=res.reference,
            version_id=v.id, number=v.number, saved_at=v.created_at,
            saved_by=_names(s, {v.created_by}).get(v.created_by or "", ""), reason=v.reason,
            domains=tuple(DomainView(d["key"], rd.DOMAINS_BY_KEY[d["key"]].label, d["rating"], d["evidence"])
                          for d in c["domains"] if d["key"] in rd.DOMAINS_BY_KEY),
            suggested_level=c["suggested_level"], overall_level=c["overall_level"],
            overall_reason=c.get("overall_reason", ""),
            actions=tuple(RiskAction(a["what"], a["who"], date.fromisoformat(a["by_when"])) for a in c["actions"]),
            contingency=Contingency(**{k: c["contingency"].get(k, "") for k in rd.CONTINGENCY_FIELDS}),
            review_on=review_on, review_reason=c.get("review_reason", ""),
            overdue=current and adm.discharged_on is None and review_on < today, is_current=current,
            prompts=tuple(self._prompts(s, adm, ra)) if current else (),
        )


def prompt_text(reason: str, note: str | None, raised_on: date) -> str:
    """What asked for a review, in the words of the area that asked ("Violence or threat on
    05/01/2026 08:30", with its time), or the reason and the day it was raised."""
    what = (note or "").strip() or f"{rd.PROMPT_REASONS.get(reason, 'Something changed')} on {format_date(raised_on)}"
    return f"{what}: review the risk assessment"


def _names(s: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(s.execute(select(Account.id, Account.full_name).where(Account.id.in_(wanted))).tuples().all())


def example_input(today: date, level: str = rd.LOW) -> RiskInput:
    """A complete assessment with every domain rated `level` (tests, fixtures and the fuzzer's seed)."""
    return RiskInput(
        domains=[DomainRating(d.key, level, f"Discussed at assessment; {rd.LEVELS[level].lower()} concern.")
                 for d in rd.DOMAINS],
        overall_level=level,
        contingency=Contingency("Naloxone kit and overdose advice given at admission.",
                                "Consents to referral back to the Community Treatment Provider.",
                                "Mother's address in Preston.", "Referrer, CTP and probation."),
        actions=[RiskAction("Daily check-in with key worker", "Key worker", today + timedelta(days=7))],
    )

"""Pre-admission assessments of referrals (`book.pre_admission`, contract 4.1.3).

Before a decision the service meets the person (in person, by video or by phone), assesses their
physical, psychological, social and forensic needs, their motivation and readiness and what
treatment could achieve, and covers the contract's minimum: the service model described to the
person and the referrer, house rules and expectations explained (digital access restrictions
included), the rehabilitation options reviewed, and introductions offered (a visit, a virtual tour,
meeting staff, peer support). Any safeguarding concern raised is recorded with whom it was
reported to. Append-only: a correction supersedes, with a reason. Once the person is admitted the
assessment is read from their record (`for_resident`)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker.clock import LONDON, local_today
from keyworker.corrections import clean_reason, current_row
from keyworker.db.caseload import Admission, Referral
from keyworker.db.key_work import PreAdmissionAssessment
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.timeline import TimelineEntry, register_timeline_source
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

METHODS: tuple[ref.Option, ...] = (
    ref.Option("in_person", "In person"),
    ref.Option("video", "Video call"),
    ref.Option("phone", "Phone"),
)
METHOD_LABELS = {o.code: o.label for o in METHODS}
DOMAINS: dict[str, str] = {
    "physical": "Physical health",
    "psychological": "Psychological health",
    "social": "Social circumstances",
    "forensic": "Offending (forensic)",
}
# The contract's minimum (4.1.3), in the order a worker goes through it.
CHECKLIST: dict[str, str] = {
    "service_model_person": "Service model described to the person",
    "service_model_referrer": "Service model described to the referrer",
    "house_rules": "House rules and expectations explained, including digital access restrictions",
    "options_reviewed": "Rehabilitation options reviewed with the person",
    "intro_visit": "Introduction offered: a visit to the unit",
    "intro_virtual_tour": "Introduction offered: a virtual tour",
    "intro_staff": "Introduction offered: meeting staff",
    "intro_peer_support": "Introduction offered: peer support",
}


@dataclass
class DomainNote:
    key: str  # a key of DOMAINS
    notes: str


@dataclass
class PreAdmissionInput:
    referral_id: str
    assessed_on: date | str | None
    method: str  # a code or label of METHODS
    domains: list[DomainNote]
    motivation: str  # motivation and readiness
    assessed_by: str | None = None  # blank: the signed-in user
    outcomes: str | None = None  # potential treatment outcomes
    checklist: list[str] = field(default_factory=list)  # keys of CHECKLIST ticked
    safeguarding_concern: str | None = None
    safeguarding_reported_to: str | None = None


@dataclass(frozen=True)
class PreAdmissionView:
    id: str
    referral_id: str
    resident_id: str | None  # once admitted
    person_name: str
    assessed_on: date
    assessed_by: str
    method: str
    domains: tuple[tuple[str, str, str], ...]  # (key, label, notes) in DOMAINS order, assessed only
    motivation: str
    outcomes: str | None
    checklist: tuple[str, ...]
    safeguarding_concern: str | None
    safeguarding_reported_to: str | None
    recorded_at: datetime
    recorded_by_name: str
    supersedes_id: str | None
    superseded_by_id: str | None
    correction_reason: str | None

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def checklist_labels(self) -> tuple[str, ...]:
        return tuple(CHECKLIST[k] for k in CHECKLIST if k in self.checklist)

    @property
    def not_done(self) -> tuple[str, ...]:
        """The contract's minimum not ticked (the introductions count as one: any offered)."""
        missing = [CHECKLIST[k] for k in CHECKLIST if not k.startswith("intro_") and k not in self.checklist]
        if not any(k.startswith("intro_") for k in self.checklist):
            missing.append("No introduction offered (visit, virtual tour, staff or peer support)")
        return tuple(missing)

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None


def validate(data: PreAdmissionInput, *, today: date, default_by: str) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("referral_id", "Referral", required=True, max_len=36)
    c.date("assessed_on", "Date of the assessment", required=True, not_after=today)
    c.text("assessed_by", "Assessed by", max_len=200)
    c.values["assessed_by"] = c.values.get("assessed_by") or default_by
    c.choice("method", "How it was done", METHODS, required=True)
    c.text("motivation", "Motivation and readiness", required=True, max_len=8000)
    c.text("outcomes", "Potential treatment outcomes", max_len=8000)
    c.text("safeguarding_concern", "Safeguarding concern", max_len=4000)
    c.text("safeguarding_reported_to", "Reported to", max_len=200)
    domains: dict[str, str] = {}
    for n, d in enumerate(data.domains):
        dc = Cleaner(form_fields(d))
        dc.text("key", "Domain", required=True, max_len=40)
        dc.text("notes", DOMAINS.get(d.key, "Domain") if isinstance(d.key, str) else "Domain", max_len=8000)
        key, notes = dc.values.get("key"), dc.values.get("notes")
        for k, msg in dc.errors.items():
            c.error(f"domains.{n}.{k}", msg)
        if key and key not in DOMAINS:
            c.error(f"domains.{n}.key", "Choose a domain: " + ", ".join(DOMAINS.values()) + ".")
        elif key and notes:
            if key in domains:
                c.error(f"domains.{key}", f"{DOMAINS[key]} is listed twice.")
            domains[key] = notes
    if not domains and not any(k.startswith("domains") for k in c.errors):
        c.error("domains", "Write what was assessed in at least one domain (physical, psychological, social "
                           "or forensic).")
    c.values["domains"] = domains
    ticked: list[str] = []
    for k in data.checklist:
        if not isinstance(k, str) or k not in CHECKLIST:
            c.error("checklist", "Tick items from the contract's list only.")
        elif k not in ticked:
            ticked.append(k)
    c.values["checklist"] = [k for k in CHECKLIST if k in ticked]
    if c.values.get("safeguarding_concern") and not c.values.get("safeguarding_reported_to") \
            and "safeguarding_reported_to" not in c.errors:
        c.error("safeguarding_reported_to", "Say to whom the safeguarding concern was reported.")
    if c.values.get("safeguarding_reported_to") and not c.values.get("safeguarding_concern"):
        c.error("safeguarding_concern", "Describe the safeguarding concern that was reported.")
    return c.values, c.errors


def _view(s: Session, x: PreAdmissionAssessment) -> PreAdmissionView:
    from keyworker.residents import account_names

    r = s.get(Referral, x.referral_id)
    assert r is not None
    notes = json.loads(x.domains or "{}")
    domains = tuple((k, label, notes[k]) for k, label in DOMAINS.items() if notes.get(k))
    return PreAdmissionView(x.id, x.referral_id, r.resident_id, f"{r.given_name} {r.family_name}", x.assessed_on,
                            x.assessed_by, x.method, domains, x.motivation, x.outcomes,
                            tuple(json.loads(x.checklist or "[]")), x.safeguarding_concern,
                            x.safeguarding_reported_to, x.created_at,
                            account_names(s).get(x.created_by or "", ""), x.supersedes_id, x.superseded_by_id,
                            x.correction_reason)


def current_for(s: Session, referral_id: str) -> PreAdmissionAssessment | None:
    return s.scalars(select(PreAdmissionAssessment).where(
        PreAdmissionAssessment.referral_id == referral_id, PreAdmissionAssessment.superseded_by_id.is_(None),
        PreAdmissionAssessment.archived.is_(False)).order_by(PreAdmissionAssessment.created_at.desc())).first()


def assessed_referrals(s: Session, referral_ids: list[str]) -> set[str]:
    """Which of these referrals have a pre-admission assessment (for the referrals list): by index
    for a short list, else one pass over the assessments (the whole unit's list: 20,000 referrals)."""
    current = (PreAdmissionAssessment.superseded_by_id.is_(None), PreAdmissionAssessment.archived.is_(False))
    if len(referral_ids) > 500:
        return set(s.scalars(select(PreAdmissionAssessment.referral_id).where(*current))) & set(referral_ids)
    return set(s.scalars(select(PreAdmissionAssessment.referral_id).where(
        PreAdmissionAssessment.referral_id.in_(referral_ids), *current)))


class PreAdmissionService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _clean(self, data: PreAdmissionInput) -> dict[str, Any]:
        values, errors = validate(data, today=local_today(self._book.clock), default_by=self._book.actor.full_name)
        if errors:
            raise ValidationError(errors)
        return values

    def _row(self, values: dict[str, Any]) -> PreAdmissionAssessment:
        return PreAdmissionAssessment(**{**values, "domains": json.dumps(values["domains"], ensure_ascii=False),
                                         "checklist": json.dumps(values["checklist"])})

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record(self, data: PreAdmissionInput) -> PreAdmissionView:
        """The referral's pre-admission assessment (one: a change is a correction)."""
        values = self._clean(data)
        with self._book._write() as s:
            r = s.get(Referral, values["referral_id"])
            if r is None or r.archived:
                raise NotFound("That referral does not exist.")
            if current_for(s, r.id) is not None:
                raise ValidationError({"": "This referral already has a pre-admission assessment: correct it instead."})
            x = self._row(values)
            s.add(x)
            s.flush([x])
            self._book._record(s, "pre_admission.record", "referral", r.id, resident_id=r.resident_id,
                               detail={"assessment_id": x.id, "assessed_on": x.assessed_on.isoformat(),
                                       "method": x.method})
            return _view(s, x)

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def correct(self, assessment_id: str, data: PreAdmissionInput, reason: str) -> PreAdmissionView:
        """A correction supersedes the assessment, with the reason; the old one stays in history."""
        values = self._clean(data)
        reason = clean_reason(reason)
        with self._book._write() as s:
            old = current_row(s, PreAdmissionAssessment, assessment_id, "pre-admission assessment")
            if old.referral_id != values["referral_id"]:
                raise ValidationError({"referral_id": "A correction is for the same referral."})
            x = self._row(values)
            x.supersedes_id, x.correction_reason = old.id, reason
            s.add(x)
            s.flush([x])
            old.superseded_by_id = x.id
            r = s.get(Referral, x.referral_id)
            self._book._record(s, "pre_admission.correct", "referral", x.referral_id,
                               resident_id=r.resident_id if r else None,
                               detail={"assessment_id": x.id, "supersedes": old.id, "reason": reason})
            return _view(s, x)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_referral(self, referral_id: str) -> PreAdmissionView | None:
        """The current assessment of the referral, or None (audited when there is one)."""
        with self._book._write() as s:
            x = current_for(s, referral_id)
            if x is None:
                return None
            r = s.get(Referral, referral_id)
            self._book._record(s, "pre_admission.view", "referral", referral_id,
                               resident_id=r.resident_id if r else None)
            return _view(s, x)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str) -> PreAdmissionView | None:
        """The assessment of the referral behind the resident's latest stay, carried into the record."""
        with self._book._write() as s:
            referral_id = s.scalar(select(Admission.referral_id).where(
                Admission.resident_id == resident_id, Admission.archived.is_(False),
                Admission.referral_id.is_not(None)).order_by(Admission.admitted_on.desc()))
            x = current_for(s, referral_id) if referral_id else None
            if x is None:
                return None
            self._book._record(s, "pre_admission.view", "referral", x.referral_id, resident_id=resident_id)
            return _view(s, x)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def history(self, referral_id: str) -> list[PreAdmissionView]:
        """Every version of the referral's assessment, newest first, corrected ones included."""
        with self._book._write() as s:
            rows = s.scalars(select(PreAdmissionAssessment).where(
                PreAdmissionAssessment.referral_id == referral_id, PreAdmissionAssessment.archived.is_(False))
                .order_by(PreAdmissionAssessment.created_at.desc())).all()
            r = s.get(Referral, referral_id)
            self._book._record(s, "pre_admission.history", "referral", referral_id,
                               resident_id=r.resident_id if r else None)
            return [_view(s, x) for x in rows]


__all__ = ["CHECKLIST", "DOMAINS", "METHODS", "DomainNote", "PreAdmissionInput", "PreAdmissionService",
           "PreAdmissionView"]


# -- the resident's timeline (the Notes tab): the assessment before they came ------------------------
def timeline_entries(s: Session, resident_id: str, date_from: date | None, date_to: date | None) -> list[TimelineEntry]:
    referral_ids = [r for r in s.scalars(select(Admission.referral_id).where(
        Admission.resident_id == resident_id, Admission.referral_id.is_not(None))) if r]
    if not referral_ids:
        return []
    q = select(PreAdmissionAssessment).where(PreAdmissionAssessment.referral_id.in_(referral_ids),
                                             PreAdmissionAssessment.archived.is_(False))
    if date_from:
        q = q.where(PreAdmissionAssessment.assessed_on >= date_from)
    if date_to:
        q = q.where(PreAdmissionAssessment.assessed_on <= date_to)
    out = []
    for x in s.scalars(q):
        v = _view(s, x)
        body = "\n".join([*(f"{label}: {notes}" for _k, label, notes in v.domains),
                          f"Motivation and readiness: {v.motivation}",
                          *([f"Potential treatment outcomes: {v.outcomes}"] if v.outcomes else []),
                          *([f"Safeguarding concern: {v.safeguarding_concern} (reported to "
                             f"{v.safeguarding_reported_to})"] if v.safeguarding_concern else [])])
        at = datetime.combine(v.assessed_on, time(12), LONDON).astimezone(UTC)
        out.append(TimelineEntry("pre_admission", v.id, resident_id, at,
                                 f"Pre-admission assessment ({v.method_label.lower()}, by {v.assessed_by})", body,
                                 v.recorded_by_name, v.superseded, v.correction_reason or "", v.supersedes_id))
    return out


register_timeline_source("pre_admission", "Pre-admission assessment", timeline_entries)

"""Safeguarding (`book.safeguarding`): the domestic abuse risk checklist (rules in
keyworker/da_checklist.py), MARAC referrals, and safeguarding referrals for children and adults,
each linked to the incident, checklist or risk assessment that raised it. Key workers and seniors
record; everyone who reads records reads them (night staff need to know). Append-only, except a
referral's outcome, which is recorded when it comes back (audited)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import da_checklist as da
from keyworker import reference_data as ref
from keyworker.clock import LONDON, format_date, local_today
from keyworker.db.incidents import DaChecklist, Incident, SafeguardingReferral
from keyworker.errors import NotFound, ValidationError
from keyworker.incidents import domestic_abuse_days, prompt_risk_review, resident_in
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

REFERRAL_KINDS: tuple[ref.Option, ...] = (
    ref.Option("children", "Children's safeguarding"),
    ref.Option("adults", "Adult safeguarding"),
    ref.Option("marac", "MARAC"),
)
KIND_LABELS = {o.code: o.label for o in REFERRAL_KINDS}
MARAC_GROUNDS: dict[str, str] = {
    "visible_high": "visible high risk (14 or more “yes” answers)",
    "judgement": "professional judgement",
    "escalation": "potential escalation (3 or more domestic abuse incidents in 12 months)",
}
GROUND_OPTIONS = tuple(ref.Option(k, v) for k, v in MARAC_GROUNDS.items())


@dataclass(frozen=True)
class ChecklistInput:
    resident_id: str
    completed_on: date | str | None
    answers: Mapping[int, str]  # question number (1-24) -> yes / no / not_known (or its label)
    judgement_level: str | None = None  # raise the level: medium or high, with the reason
    judgement_reason: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class SafeguardingReferralInput:
    resident_id: str
    kind: str  # children / adults / marac (code or label)
    referred_on: date | str | None
    agency: str | None = None  # MARAC: may be left blank ("MARAC")
    made_by: str | None = None  # blank: the signed-in user
    reference: str | None = None
    outcome: str | None = None
    incident_id: str | None = None
    checklist_id: str | None = None
    risk_assessment_id: str | None = None
    grounds: str | None = None  # MARAC only: visible_high / judgement / escalation


@dataclass(frozen=True)
class ChecklistView:
    id: str
    resident_id: str
    completed_on: date
    answers: Mapping[int, str]
    yes_count: int
    visible_level: str
    level: str
    judgement_reason: str | None
    notes: str | None
    recorded_at: datetime
    recorded_by_name: str

    @property
    def visible_high(self) -> bool:
        return self.visible_level == da.HIGH

    @property
    def level_label(self) -> str:
        return da.LEVELS[self.level]

    @property
    def marac_prompted(self) -> bool:
        return self.level == da.HIGH


@dataclass(frozen=True)
class SafeguardingReferralView:
    id: str
    resident_id: str
    kind: str
    referred_on: date
    agency: str
    made_by: str
    reference: str | None
    outcome: str | None
    incident_id: str | None
    checklist_id: str | None
    risk_assessment_id: str | None
    grounds: str | None
    recorded_at: datetime
    recorded_by_name: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "Safeguarding")


@dataclass(frozen=True)
class Escalation:
    """Domestic abuse incidents in the 12 months ending `on` (both ends included)."""

    on: date
    window_start: date
    incident_days: tuple[date, ...]

    @property
    def prompted(self) -> bool:
        return len(self.incident_days) >= da.ESCALATION_INCIDENTS


@dataclass(frozen=True)
class MaracDue:
    """A line of Today's "MARAC referrals due": a current resident whose grounds for a MARAC
    referral arose with no referral recorded since."""

    resident_id: str
    resident_name: str
    reference: str
    key_worker_id: str | None
    grounds: tuple[str, ...]  # keys of MARAC_GROUNDS
    since: date | None  # the day the grounds arose (the checklist's, or the third incident's)

    @property
    def grounds_text(self) -> str:
        return "; ".join(MARAC_GROUNDS[g] for g in self.grounds)


@dataclass(frozen=True)
class SafeguardingOverview:
    """The Safeguarding tab in one read: `status`, `checklists`, `referrals` (newest first) and the
    resident's `incidents` (IncidentView, newest first) that a referral may be linked to."""

    status: DomesticAbuseStatus
    checklists: tuple[ChecklistView, ...]
    referrals: tuple[SafeguardingReferralView, ...]
    incidents: tuple[Any, ...]


@dataclass(frozen=True)
class DomesticAbuseStatus:
    """What the Risk tab shows: the current checklist, escalation, and whether MARAC is due."""

    current: ChecklistView | None
    escalation: Escalation
    marac_grounds: tuple[str, ...]  # keys of MARAC_GROUNDS that apply now
    marac_referrals: tuple[SafeguardingReferralView, ...]
    marac_due: bool  # grounds apply and no MARAC referral recorded since they arose

    @property
    def prompt_text(self) -> str:
        if not self.marac_due:
            return ""
        return "Make a MARAC referral: " + "; ".join(MARAC_GROUNDS[g] for g in self.marac_grounds) + "."


def validate_checklist(data: Mapping[str, Any] | ChecklistInput, *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    fields = form_fields(data)
    c = Cleaner(fields)
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.date("completed_on", "Date completed", required=True, not_after=today)
    c.choice("judgement_level", "Level by professional judgement", tuple(ref.Option(k, v) for k, v in da.LEVELS.items()))
    c.text("judgement_reason", "Reason for the level", max_len=2000)
    c.text("notes", "Notes", max_len=4000)
    raw = fields.get("answers")
    answers: dict[int, str] = {}
    if not isinstance(raw, Mapping):
        c.error("answers", "Answer every question: yes, no or not known.")
    else:
        options = tuple(ref.Option(k, v) for k, v in da.ANSWERS.items())
        for key, value in raw.items():
            number = key if isinstance(key, int) and not isinstance(key, bool) else \
                (int(key) if isinstance(key, str) and key.strip().isdigit() and len(key) < 4 else None)
            if number not in da.QUESTIONS:
                c.error("answers", f"The checklist has questions 1 to {da.QUESTION_COUNT} only.")
                break
            code = ref.find_code(options, value) if isinstance(value, str) and len(value) <= 20 else None
            if code is None:
                c.error("answers", f"Question {number}: answer yes, no or not known.")
                break
            answers[number] = code
        missing = [n for n in da.QUESTIONS if n not in answers]
        if missing and "answers" not in c.errors:
            c.error("answers", f"Answer question{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(map(str, missing))}: yes, no or not known.")
    yes = sum(1 for a in answers.values() if a == da.YES)
    visible = da.level_for(yes)
    level, problem = da.judged_level(visible, c.values.get("judgement_level"), c.values.get("judgement_reason"))
    if problem and "answers" not in c.errors:
        field = "judgement_reason" if level != visible else "judgement_level"
        c.error(field, problem)
    c.values.update(answers=answers, yes_count=yes, visible_level=visible, level=level)
    return c.values, c.errors


def validate_referral(data: Mapping[str, Any] | SafeguardingReferralInput, *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.choice("kind", "Referral to", REFERRAL_KINDS, required=True)
    c.date("referred_on", "Date referred", required=True, not_after=today)
    c.text("agency", "Agency", required=c.values.get("kind") != "marac", max_len=200)
    c.text("made_by", "Made by", max_len=200)
    c.text("reference", "Reference", max_len=64)
    c.text("outcome", "Outcome", max_len=4000)
    for key in ("incident_id", "checklist_id", "risk_assessment_id"):
        c.text(key, key.replace("_id", "").replace("_", " ").capitalize(), max_len=36)
    c.choice("grounds", "Grounds for the MARAC referral", GROUND_OPTIONS)
    if c.values.get("kind") == "marac":
        if not c.values.get("agency"):
            c.values["agency"] = "MARAC"
        if not c.values.get("grounds") and "grounds" not in c.errors:
            c.error("grounds", "Say why the MARAC referral is made: " + "; ".join(MARAC_GROUNDS.values()) + ".")
    elif c.values.get("grounds"):
        c.error("grounds", "Grounds are given for a MARAC referral only.")
    return c.values, c.errors


def _checklist_view(x: DaChecklist, names: Mapping[str, str]) -> ChecklistView:
    answers = {int(k): v for k, v in json.loads(x.answers).items()}
    return ChecklistView(x.id, x.resident_id, x.completed_on, answers, x.yes_count, x.visible_level, x.level,
                         x.judgement_reason, x.notes, x.created_at, names.get(x.created_by or "", ""))


def _referral_view(x: SafeguardingReferral, names: Mapping[str, str]) -> SafeguardingReferralView:
    return SafeguardingReferralView(x.id, x.resident_id, x.kind, x.referred_on, x.agency, x.made_by, x.reference,
                                    x.outcome, x.incident_id, x.checklist_id, x.risk_assessment_id, x.grounds,
                                    x.created_at, names.get(x.created_by or "", ""))


def _checklists(s: Session, resident_id: str) -> list[DaChecklist]:
    return list(s.scalars(select(DaChecklist).where(DaChecklist.resident_id == resident_id,
                                                    DaChecklist.archived.is_(False))
                          .order_by(DaChecklist.completed_on.desc(), DaChecklist.created_at.desc())))


def _referrals(s: Session, resident_id: str) -> list[SafeguardingReferral]:
    return list(s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.resident_id == resident_id,
                                                             SafeguardingReferral.archived.is_(False))
                          .order_by(SafeguardingReferral.referred_on.desc(), SafeguardingReferral.created_at.desc())))


def status_in(s: Session, resident_id: str, today: date) -> DomesticAbuseStatus:
    """Inside the caller's session (and audit entry)."""
    from keyworker.residents import account_names

    names = account_names(s)
    rows = _checklists(s, resident_id)
    current = _checklist_view(rows[0], names) if rows else None
    days = da.incidents_in_window(domestic_abuse_days(s, resident_id), today)
    esc = Escalation(today, da.escalation_window(today)[0], tuple(days))
    grounds: list[str] = []
    since: list[date] = []
    if current is not None and current.marac_prompted:
        grounds.append("visible_high" if current.visible_high else "judgement")
        since.append(current.completed_on)
    if esc.prompted:
        grounds.append("escalation")
        since.append(days[-da.ESCALATION_INCIDENTS])  # the day the third incident in the window happened
    marac = tuple(_referral_view(x, names) for x in _referrals(s, resident_id) if x.kind == "marac")
    due = bool(grounds) and not any(m.referred_on >= min(since) for m in marac)
    return DomesticAbuseStatus(current, esc, tuple(grounds), marac, due)


class SafeguardingService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.RECORD_SAFEGUARDING)
    def record_checklist(self, data: ChecklistInput) -> ChecklistView:
        """A completed checklist; a high level prompts a MARAC referral and a risk review."""
        from keyworker.residents import account_names

        book = self._book
        values, errors = validate_checklist(data, today=local_today(book.clock))
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            resident_in(s, values["resident_id"])
            answers = values.pop("answers")
            values.pop("judgement_level", None)
            x = DaChecklist(answers=json.dumps({str(k): answers[k] for k in sorted(answers)}), **values)
            s.add(x)
            s.flush([x])
            book._record(s, "da_checklist.record", "da_checklist", x.id, resident_id=x.resident_id,
                         detail={"completed_on": x.completed_on.isoformat(), "raised": x.level != x.visible_level})
            if x.level == da.HIGH:
                prompt_risk_review(book, s, x.resident_id, "safeguarding", x.id,
                                   f"A high risk domestic abuse checklist on {format_date(x.completed_on)}")
            return _checklist_view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def checklists(self, resident_id: str) -> list[ChecklistView]:
        """Every checklist of the resident, newest first (the history: who and when on each)."""
        from keyworker.residents import account_names

        with self._book._write() as s:
            resident_in(s, resident_id)
            rows = _checklists(s, resident_id)
            self._book._record(s, "da_checklist.history", "resident", resident_id, resident_id=resident_id)
            names = account_names(s)
            return [_checklist_view(x, names) for x in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def status(self, resident_id: str) -> DomesticAbuseStatus:
        with self._book._write() as s:
            resident_in(s, resident_id)
            st = status_in(s, resident_id, local_today(self._book.clock))
            self._book._record(s, "safeguarding.view", "resident", resident_id, resident_id=resident_id)
            return st

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def marac_due(self, scope: str = "mine") -> list[MaracDue]:
        """Current residents for whom a MARAC referral is due (a list for Today, rows only, not
        audited). Only residents with a high checklist or a domestic abuse incident in the last 12
        months are looked at closely, so it stays cheap on a large unit. `scope` 'mine': the
        signed-in user's residents."""
        from keyworker.db.caseload import Admission, Resident

        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose your residents or the whole unit."},
                                  "Choose your residents or the whole unit.")
        today = local_today(self._book.clock)
        start = da.escalation_window(today)[0]
        with self._book._read() as s:
            q = (select(Admission.resident_id, Admission.key_worker_id, Resident.given_name, Resident.family_name,
                        Resident.reference)
                 .join(Resident, Resident.id == Admission.resident_id)
                 .where(Admission.discharged_on.is_(None), Admission.archived.is_(False),
                        Resident.archived.is_(False)))
            if scope == "mine":
                q = q.where(Admission.key_worker_id == self._book.actor.id)
            high = select(DaChecklist.resident_id).where(DaChecklist.level == da.HIGH, DaChecklist.archived.is_(False))
            abuse = select(Incident.resident_id).where(Incident.domestic_abuse.is_(True), Incident.archived.is_(False),
                                                       Incident.occurred_at >= datetime(start.year, start.month, start.day,
                                                                                        tzinfo=LONDON))
            people = {r.resident_id: r for r in s.execute(q.where(Admission.resident_id.in_(high.union(abuse))))}
            if not people:
                return []
            ids = list(people)
            # Three bulk reads, then status_in's rule per resident (not five queries per resident).
            latest: dict[str, tuple[date, str, str]] = {}
            for rid, on, level, visible in s.execute(
                    select(DaChecklist.resident_id, DaChecklist.completed_on, DaChecklist.level, DaChecklist.visible_level)
                    .where(DaChecklist.resident_id.in_(ids), DaChecklist.archived.is_(False))
                    .order_by(DaChecklist.completed_on.desc(), DaChecklist.created_at.desc())):
                latest.setdefault(rid, (on, level, visible))
            abuse_days: dict[str, list[date]] = {}
            for rid, at in s.execute(select(Incident.resident_id, Incident.occurred_at).where(
                    Incident.resident_id.in_(ids), Incident.domestic_abuse.is_(True), Incident.archived.is_(False))):
                abuse_days.setdefault(rid, []).append(at.astimezone(LONDON).date())
            marac: dict[str, list[date]] = {}
            for rid, on in s.execute(select(SafeguardingReferral.resident_id, SafeguardingReferral.referred_on).where(
                    SafeguardingReferral.resident_id.in_(ids), SafeguardingReferral.kind == "marac",
                    SafeguardingReferral.archived.is_(False))):
                marac.setdefault(rid, []).append(on)
            out: list[MaracDue] = []
            for rid, r in people.items():
                grounds: list[str] = []
                since: list[date] = []
                current = latest.get(rid)
                if current is not None and current[1] == da.HIGH:
                    grounds.append("visible_high" if current[2] == da.HIGH else "judgement")
                    since.append(current[0])
                days = da.incidents_in_window(abuse_days.get(rid, []), today)
                if len(days) >= da.ESCALATION_INCIDENTS:
                    grounds.append("escalation")
                    since.append(days[-da.ESCALATION_INCIDENTS])
                if grounds and not any(on >= min(since) for on in marac.get(rid, [])):
                    out.append(MaracDue(rid, f"{r.given_name} {r.family_name}", r.reference, r.key_worker_id,
                                        tuple(grounds), min(since)))
            return sorted(out, key=lambda m: (m.since or today, m.resident_name))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def overview(self, resident_id: str) -> SafeguardingOverview:
        """What the Safeguarding tab shows, in one read (one audit entry, `safeguarding.view`): the
        status, the checklists and referrals (newest first) and the incidents a referral may name."""
        from keyworker.incidents import incident_views
        from keyworker.residents import account_names

        with self._book._write() as s:
            resident_in(s, resident_id)
            st = status_in(s, resident_id, local_today(self._book.clock))
            names = account_names(s)
            checklists = tuple(_checklist_view(x, names) for x in _checklists(s, resident_id))
            referrals = tuple(_referral_view(x, names) for x in _referrals(s, resident_id))
            incidents = tuple(incident_views(s, resident_id, names))
            self._book._record(s, "safeguarding.view", "resident", resident_id, resident_id=resident_id,
                               detail={"part": "overview"})
            return SafeguardingOverview(st, checklists, referrals, incidents)

    @typed_inputs(requires=Permission.RECORD_SAFEGUARDING)
    def record_referral(self, data: SafeguardingReferralInput) -> SafeguardingReferralView:
        """A safeguarding (children, adults) or MARAC referral, with what raised it."""
        from keyworker.residents import account_names

        book = self._book
        values, errors = validate_referral(data, today=local_today(book.clock))
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            resident_in(s, values["resident_id"])
            for key, owner, what in (("incident_id", Incident.resident_id, "incident"),
                                     ("checklist_id", DaChecklist.resident_id, "checklist")):
                if values.get(key):
                    whose = s.scalar(select(owner).where(owner.class_.id == values[key]))
                    if whose != values["resident_id"]:
                        raise ValidationError({key: f"That {what} is not this resident's."})
            values["made_by"] = values.get("made_by") or book.actor.full_name
            x = SafeguardingReferral(**values)
            s.add(x)
            s.flush([x])
            book._record(s, "safeguarding.referral", "safeguarding_referral", x.id, resident_id=x.resident_id,
                         detail={"kind": x.kind, "referred_on": x.referred_on.isoformat()})
            return _referral_view(x, account_names(s))

    @typed_inputs(requires=Permission.RECORD_SAFEGUARDING)
    def record_outcome(self, referral_id: str, outcome: str) -> SafeguardingReferralView:
        from keyworker.residents import account_names

        c = Cleaner({"outcome": outcome})
        c.text("outcome", "Outcome", required=True, max_len=4000)
        if c.errors:
            raise ValidationError(c.errors)
        with self._book._write() as s:
            x = s.get(SafeguardingReferral, referral_id)
            if x is None or x.archived:
                raise NotFound("That referral does not exist.")
            x.outcome = c.values["outcome"]
            s.flush([x])
            self._book._record(s, "safeguarding.outcome", "safeguarding_referral", x.id, resident_id=x.resident_id,
                               detail={"kind": x.kind})
            return _referral_view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def referrals(self, resident_id: str) -> list[SafeguardingReferralView]:
        """The resident's safeguarding and MARAC referrals, newest first."""
        from keyworker.residents import account_names

        with self._book._write() as s:
            resident_in(s, resident_id)
            rows = _referrals(s, resident_id)
            self._book._record(s, "safeguarding.history", "resident", resident_id, resident_id=resident_id)
            names = account_names(s)
            return [_referral_view(x, names) for x in rows]


__all__ = ["ChecklistInput", "ChecklistView", "DomesticAbuseStatus", "Escalation", "MaracDue", "SafeguardingOverview", "SafeguardingReferralInput",
           "SafeguardingReferralView", "SafeguardingService"]

"""Incidents (`book.incidents`): what happened, when, who was involved, what was done, and whether
the police or a safeguarding referral were involved. Append-only: who logged it and when is on
the row. Key workers, seniors and night staff log them; anyone who reads records reads a
resident's; the whole unit's list is for seniors. Logging one prompts a risk review (the risk
area's hook, `book.risk.prompt`, in the same transaction)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker.clock import LONDON, format_datetime
from keyworker.db.caseload import Admission, Resident
from keyworker.db.incidents import Incident
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

INCIDENT_TYPES: tuple[ref.Option, ...] = (
    ref.Option("relapse", "Relapse or use on site"),
    ref.Option("violence", "Violence or threat"),
    ref.Option("self_harm", "Self-harm"),
    ref.Option("absconding", "Absconding"),
    ref.Option("police", "Police attendance"),
    ref.Option("safeguarding", "Safeguarding concern"),
    ref.Option("medical", "Medical emergency"),
    ref.Option("other", "Other"),
)
TYPE_LABELS = {o.code: o.label for o in INCIDENT_TYPES}
# Which risk-review reason (keyworker.risk's hook) an incident of each type raises.
PROMPT_REASONS = {"relapse": "relapse", "safeguarding": "safeguarding"}


@dataclass(frozen=True)
class IncidentInput:
    resident_id: str
    occurred_at: datetime | str | None
    kind: str  # a code or label of INCIDENT_TYPES
    description: str
    people_involved: str | None = None
    actions_taken: str | None = None
    domestic_abuse: bool = False  # counts towards "potential escalation" (keyworker.da_checklist)
    police_involved: bool = False
    police_reference: str | None = None
    safeguarding_referral: bool = False
    safeguarding_to: str | None = None
    safeguarding_reference: str | None = None


@dataclass(frozen=True)
class IncidentFilter:
    """Both dates included (the unit's days); no kinds = every type."""

    date_from: date | str | None = None
    date_to: date | str | None = None
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentView:
    id: str
    resident_id: str
    occurred_at: datetime
    kind: str
    description: str
    people_involved: str | None
    actions_taken: str | None
    domestic_abuse: bool
    police_involved: bool
    police_reference: str | None
    safeguarding_referral: bool
    safeguarding_to: str | None
    safeguarding_reference: str | None
    recorded_at: datetime
    recorded_by_name: str

    @property
    def kind_label(self) -> str:
        return TYPE_LABELS.get(self.kind, "Other")

    @property
    def when_text(self) -> str:
        return format_datetime(self.occurred_at)


@dataclass(frozen=True)
class IncidentRow:
    """A line of the unit's list: only what the list shows (opening it reads the incident)."""

    id: str
    resident_id: str
    resident_name: str
    resident_reference: str
    occurred_at: datetime
    kind: str
    police_involved: bool
    safeguarding_referral: bool

    @property
    def kind_label(self) -> str:
        return TYPE_LABELS.get(self.kind, "Other")


def validate_incident(data: Mapping[str, Any] | IncidentInput, *, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.datetime("occurred_at", "Date and time", required=True, not_after=now + timedelta(minutes=5))
    c.choice("kind", "Type of incident", INCIDENT_TYPES, required=True)
    c.text("description", "What happened", required=True, max_len=4000)
    c.text("people_involved", "People involved", max_len=2000)
    c.text("actions_taken", "Actions taken", max_len=4000)
    for key, label in (("domestic_abuse", "Domestic abuse"), ("police_involved", "Police involved"),
                       ("safeguarding_referral", "Safeguarding referral made")):
        c.boolean(key, label)
    c.text("police_reference", "Police reference", max_len=64)
    c.text("safeguarding_to", "Safeguarding referral to", max_len=200)
    c.text("safeguarding_reference", "Safeguarding reference", max_len=64)
    if c.values.get("police_reference") and not c.values.get("police_involved"):
        c.error("police_involved", "Tick “Police involved” when there is a police reference.")
    if c.values.get("safeguarding_referral") and not c.values.get("safeguarding_to") \
            and "safeguarding_to" not in c.errors:
        c.error("safeguarding_to", "Say to whom the safeguarding referral was made.")
    if not c.values.get("safeguarding_referral"):
        for key in ("safeguarding_to", "safeguarding_reference"):
            if c.values.get(key):
                c.error("safeguarding_referral", "Tick “Safeguarding referral made” to give whom it went to "
                                                 "and its reference.")
    return c.values, c.errors


def clean_filter(f: IncidentFilter | None) -> tuple[date | None, date | None, tuple[str, ...]]:
    if f is None:
        return None, None, ()
    c = Cleaner({"date_from": f.date_from, "date_to": f.date_to})
    c.date("date_from", "From")
    c.date("date_to", "To")
    kinds: list[str] = []
    for k in f.kinds:
        code = ref.find_code(INCIDENT_TYPES, k) if isinstance(k, str) and len(k) <= 60 else None
        if code is None:
            c.error("kinds", "Choose types of incident from: " + ", ".join(o.label for o in INCIDENT_TYPES) + ".")
        else:
            kinds.append(code)
    low, high = c.values.get("date_from"), c.values.get("date_to")
    if low and high and low > high and "date_to" not in c.errors:
        c.error("date_to", "“To” must be on or after “From”.")
    if c.errors:
        raise ValidationError(c.errors)
    return low, high, tuple(kinds)


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LONDON)


def _filtered(q: Any, f: IncidentFilter | None) -> Any:
    low, high, kinds = clean_filter(f)
    if low:
        q = q.where(Incident.occurred_at >= _start_of(low))
    if high:
        q = q.where(Incident.occurred_at < _start_of(high + timedelta(days=1)))
    if kinds:
        q = q.where(Incident.kind.in_(kinds))
    return q


def resident_in(s: Session, resident_id: str) -> Resident:
    r = s.get(Resident, resident_id)
    if r is None or r.archived:
        raise NotFound("That resident does not exist.")
    return r


def prompt_risk_review(book: Casebook, s: Session, resident_id: str, reason: str, source_id: str, note: str) -> None:
    """Ask for a risk review of the resident's current admission, in the caller's transaction,
    through the risk area's hook (docs/CONTRACTS.md, "Risk assessments"). A resident no longer in
    the unit has no assessment to review."""
    admission_id = s.scalar(select(Admission.id).where(
        Admission.resident_id == resident_id, Admission.discharged_on.is_(None), Admission.archived.is_(False)))
    if admission_id is not None:
        book.risk.prompt(s, admission_id, reason, source_id=source_id, note=note)


def _view(x: Incident, names: Mapping[str, str]) -> IncidentView:
    return IncidentView(x.id, x.resident_id, x.occurred_at, x.kind, x.description, x.people_involved,
                        x.actions_taken, x.domestic_abuse, x.police_involved, x.police_reference,
                        x.safeguarding_referral, x.safeguarding_to, x.safeguarding_reference,
                        x.created_at, names.get(x.created_by or "", ""))


class IncidentService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    @typed_inputs(requires=Permission.RECORD_INCIDENTS)
    def record(self, data: IncidentInput) -> IncidentView:
        """Log an incident; prompts a risk review of the resident's current admission."""
        from keyworker.residents import account_names

        book = self._book
        values, errors = validate_incident(data, now=book.clock.now())
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            resident_in(s, values["resident_id"])
            x = Incident(**values)
            s.add(x)
            s.flush([x])
            book._record(s, "incident.record", "incident", x.id, resident_id=x.resident_id,
                         detail={"kind": x.kind, "occurred_at": x.occurred_at.isoformat()})
            note = f"{TYPE_LABELS[x.kind]} on {format_datetime(x.occurred_at)}"
            prompt_risk_review(book, s, x.resident_id, PROMPT_REASONS.get(x.kind, "incident"), x.id, note)
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, incident_id: str) -> IncidentView:
        from keyworker.residents import account_names

        with self._book._write() as s:
            x = s.get(Incident, incident_id)
            if x is None or x.archived:
                raise NotFound("That incident does not exist.")
            self._book._record(s, "incident.view", "incident", x.id, resident_id=x.resident_id)
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str, filter: IncidentFilter | None = None) -> list[IncidentView]:
        """The resident's incidents, newest first (audited: it shows what happened)."""
        from keyworker.residents import account_names

        with self._book._write() as s:
            resident_in(s, resident_id)
            views = incident_views(s, resident_id, account_names(s), filter)
            self._book._record(s, "incident.history", "resident", resident_id, resident_id=resident_id)
            return views

    @typed_inputs(requires=Permission.VIEW_UNIT_INCIDENTS)
    def unit(self, filter: IncidentFilter | None = None) -> list[IncidentRow]:
        """Every resident's incidents, newest first, for seniors (audited: the filter used)."""
        low, high, kinds = clean_filter(filter)
        with self._book._write() as s:
            q = (select(Incident.id, Incident.resident_id, Resident.given_name, Resident.family_name,
                        Resident.reference, Incident.occurred_at, Incident.kind, Incident.police_involved,
                        Incident.safeguarding_referral)
                 .join(Resident, Resident.id == Incident.resident_id)
                 .where(Incident.archived.is_(False)))
            rows = s.execute(_filtered(q, filter).order_by(Incident.occurred_at.desc(), Incident.id.desc())).all()
            self._book._record(s, "incident.list", "unit", None, detail={
                "from": low.isoformat() if low else None, "to": high.isoformat() if high else None,
                "kinds": list(kinds), "rows": len(rows)})
            return [IncidentRow(r.id, r.resident_id, f"{r.given_name} {r.family_name}", r.reference,
                                r.occurred_at, r.kind, r.police_involved, r.safeguarding_referral) for r in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def recent(self, hours: int = 12) -> list[IncidentRow]:
        """Every resident's incidents in the last `hours` (1 to 48), newest first: what a night worker,
        often alone, must know of tonight (they read each resident's incidents anyway; the unit's
        list by any dates stays the seniors'). Audited like the unit's list."""
        if isinstance(hours, bool) or not 1 <= hours <= 48:
            raise ValidationError({"hours": "Choose between 1 and 48 hours."}, "Choose between 1 and 48 hours.")
        since = self._book.clock.now() - timedelta(hours=hours)
        with self._book._write() as s:
            q = (select(Incident.id, Incident.resident_id, Resident.given_name, Resident.family_name,
                        Resident.reference, Incident.occurred_at, Incident.kind, Incident.police_involved,
                        Incident.safeguarding_referral)
                 .join(Resident, Resident.id == Incident.resident_id)
                 .where(Incident.archived.is_(False), Incident.occurred_at >= since)
                 .order_by(Incident.occurred_at.desc(), Incident.id.desc()))
            rows = s.execute(q).all()
            self._book._record(s, "incident.list", "unit", None, detail={"hours": hours, "rows": len(rows)})
            return [IncidentRow(r.id, r.resident_id, f"{r.given_name} {r.family_name}", r.reference,
                                r.occurred_at, r.kind, r.police_involved, r.safeguarding_referral) for r in rows]

    def counts(self, session: Session) -> dict[str, Any]:
        since = self._book.clock.now() - timedelta(days=30)
        n = session.scalar(select(func.count()).select_from(Incident)
                           .where(Incident.archived.is_(False), Incident.occurred_at >= since))
        return {"incidents_30d": int(n or 0)}


def incident_views(s: Session, resident_id: str, names: Mapping[str, str],
                   filter: IncidentFilter | None = None) -> list[IncidentView]:
    """The resident's incidents, newest first, inside the caller's session (and audit entry)."""
    q = select(Incident).where(Incident.resident_id == resident_id, Incident.archived.is_(False))
    rows = s.scalars(_filtered(q, filter).order_by(Incident.occurred_at.desc(), Incident.id.desc())).all()
    return [_view(x, names) for x in rows]


def domestic_abuse_days(s: Session, resident_id: str) -> list[date]:
    """The unit's days of the resident's domestic abuse incidents (for potential escalation)."""
    at = s.scalars(select(Incident.occurred_at).where(
        Incident.resident_id == resident_id, Incident.domestic_abuse.is_(True), Incident.archived.is_(False)))
    return [a.astimezone(LONDON).date() for a in at]


__all__ = ["INCIDENT_TYPES", "IncidentFilter", "IncidentInput", "IncidentRow", "IncidentService", "IncidentView"]

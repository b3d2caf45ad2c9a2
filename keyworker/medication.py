"""Current medication and consents of a resident, both append-only so their history exists.
Medication: a course starts, may change (dose, frequency, route, prescriber), and stops, each an
event. Each start says how the medicine is taken (route, and dose and frequency or an explicit
"as directed"), so a night worker can read what someone takes.
Consents: recording a kind again supersedes the earlier row. Reached through `book.residents`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import date_ranges
from keyworker import reference_data as ref
from keyworker.clock import local_today
from keyworker.db.caseload import Consent, MedicationEvent, Resident
from keyworker.errors import NotFound, ValidationError
from keyworker.ids import new_id
from keyworker.input_types import form_fields
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner, parse_date

if TYPE_CHECKING:
    from keyworker.casebook import Casebook


ROUTES: tuple[ref.Option, ...] = (
    ref.Option("oral", "By mouth"),
    ref.Option("sublingual", "Under the tongue"),
    ref.Option("injection", "Injection"),
    ref.Option("inhaled", "Inhaled"),
    ref.Option("patch", "Patch"),
    ref.Option("other", "Other"),
)
ROUTE_LABELS = {o.code: o.label for o in ROUTES}
NOT_RECORDED = "not recorded"
AS_DIRECTED = "As directed"


@dataclass(frozen=True)
class MedicationInput:
    name: str
    effective_on: date | str | None  # the start date (start) or the date of the change
    dose: str | None = None
    frequency: str | None = None
    prescriber: str | None = None
    notes: str | None = None
    route: str | None = None  # a code or label of ROUTES
    as_directed: bool | None = None  # True in place of a dose and frequency; None on a change: keep


@dataclass(frozen=True)
class MedicationEventView:
    id: str
    course_id: str
    event: str  # start / change / stop
    effective_on: date
    name: str
    dose: str | None
    frequency: str | None
    prescriber: str | None
    notes: str | None
    recorded_at: datetime
    route: str | None = None
    as_directed: bool | None = None

    @property
    def how_taken(self) -> str:
        return how_taken(self.dose, self.frequency, self.route, self.as_directed)


@dataclass(frozen=True)
class MedicationCourse:
    """One medicine from start to stop, as it stands after its latest event."""

    course_id: str
    resident_id: str
    name: str
    dose: str | None
    frequency: str | None
    prescriber: str | None
    started_on: date
    stopped_on: date | None
    events: tuple[MedicationEventView, ...]
    route: str | None = None
    as_directed: bool | None = None

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS.get(self.route or "", NOT_RECORDED)

    @property
    def dose_text(self) -> str:
        return AS_DIRECTED if self.as_directed else (self.dose or NOT_RECORDED)

    @property
    def frequency_text(self) -> str:
        return AS_DIRECTED if self.as_directed else (self.frequency or NOT_RECORDED)

    @property
    def how_taken(self) -> str:
        """One line a night worker reads: "8 mg, once daily, under the tongue"."""
        return how_taken(self.dose, self.frequency, self.route, self.as_directed)

    @property
    def current(self) -> bool:
        return self.stopped_on is None


@dataclass(frozen=True)
class MedicationSummary:
    current: tuple[MedicationCourse, ...]
    stopped: tuple[MedicationCourse, ...]
    history: tuple[MedicationEventView, ...]  # every event, newest first


@dataclass(frozen=True)
class ConsentView:
    id: str
    resident_id: str
    kind: str
    kind_label: str
    given: bool
    parties: tuple[str, ...]
    recorded_on: date
    recorded_by: str | None
    recorded_by_name: str
    notes: str | None
    current: bool


def how_taken(dose: str | None, frequency: str | None, route: str | None, as_directed: bool | None) -> str:
    """Dose, frequency and route in one line; what was never recorded says so."""
    route_text = ROUTE_LABELS.get(route or "", "").lower() or f"route {NOT_RECORDED}"
    if as_directed:
        return f"{AS_DIRECTED}, {route_text}"
    if not dose and not frequency and not route:
        return f"Dose and frequency {NOT_RECORDED}"
    return ", ".join((dose or f"dose {NOT_RECORDED}", frequency or f"frequency {NOT_RECORDED}", route_text))


def validate_medication(
    data: Mapping[str, Any] | MedicationInput, *, today: date, name_required: bool = True
) -> tuple[dict[str, Any], dict[str, str]]:
    """A start (`name_required`) must say how the medicine is taken: the route, and a dose and
    frequency or "as directed". A change may leave any of them blank to keep the current one."""
    fields = form_fields(data)
    c = Cleaner(fields)
    starting = name_required
    c.text("name", "Medicine", required=name_required, max_len=200)
    c.date("effective_on", "Date", required=True, not_after=today, not_before=date_ranges.EARLIEST_MEDICATION)
    c.text("dose", "Dose", max_len=100)
    c.text("frequency", "Frequency", max_len=100)
    c.text("prescriber", "Prescriber", max_len=200)
    c.text("notes", "Notes", max_len=2000)
    if starting and _blank(fields.get("route")):
        c.error("route", "Choose how it is taken: " + ", ".join(o.label.lower() for o in ROUTES) + ".")
    else:
        c.choice("route", "Route", ROUTES)
    if fields.get("as_directed") is None and not starting:
        c.values["as_directed"] = None  # a change that does not say: keep as it was
    else:
        c.boolean("as_directed", "As directed")
    if c.values.get("as_directed"):
        for key, label in (("dose", "dose"), ("frequency", "frequency")):
            if c.values.get(key):
                c.error(key, f"Leave the {label} blank when the medicine is taken as directed, or untick "
                             "“As directed”.")
    elif starting:
        if not c.values.get("dose") and "dose" not in c.errors:
            c.error("dose", "Give the dose (for example 8 mg), or tick “As directed”.")
        if not c.values.get("frequency") and "frequency" not in c.errors:
            c.error("frequency", "Say how often it is taken (for example once daily), or tick “As directed”.")
    return c.values, c.errors


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _view(e: MedicationEvent) -> MedicationEventView:
    return MedicationEventView(
        e.id,
        e.course_id,
        e.event,
        e.effective_on,
        e.name,
        e.dose,
        e.frequency,
        e.prescriber,
        e.notes,
        e.created_at,
        e.route,
        e.as_directed,
    )


def _course(events: Sequence[MedicationEvent]) -> MedicationCourse:
    ordered = sorted(events, key=lambda e: (e.effective_on, e.created_at, e.id))
    first = ordered[0]
    live = [e for e in ordered if e.event != "stop"]
    last = live[-1]
    stop = next((e for e in reversed(ordered) if e.event == "stop"), None)
    return MedicationCourse(
        first.course_id,
        first.resident_id,
        last.name,
        last.dose,
        last.frequency,
        last.prescriber,
        first.effective_on,
        stop.effective_on if stop else None,
        tuple(_view(e) for e in ordered),
        last.route,
        last.as_directed,
    )


def _course_events(s: Session, course_id: str) -> list[MedicationEvent]:
    events = list(s.scalars(select(MedicationEvent).where(MedicationEvent.course_id == course_id)))
    if not events:
        raise NotFound("That medication record does not exist.")
    return events


def _resident(s: Session, resident_id: str) -> Resident:
    r = s.get(Resident, resident_id)
    if r is None or r.archived:
        raise NotFound("That resident does not exist.")
    return r


def medication(book: Casebook, resident_id: str) -> MedicationSummary:
    book.require(Permission.VIEW_RESIDENTS)
    with book._write() as s:
        _resident(s, resident_id)
        summary = summary_in(s, resident_id)
        book._record(s, "medication.view", "resident", resident_id, resident_id=resident_id)
    return summary


def summary_in(s: Session, resident_id: str) -> MedicationSummary:
    """Inside the caller's session (and audit entry): every course and event of the resident."""
    events = s.scalars(
        select(MedicationEvent).where(
            MedicationEvent.resident_id == resident_id, MedicationEvent.archived.is_(False)
        )
    ).all()
    by_course: dict[str, list[MedicationEvent]] = {}
    for e in events:
        by_course.setdefault(e.course_id, []).append(e)
    courses = sorted((_course(v) for v in by_course.values()), key=lambda c: (c.started_on, c.name))
    history = sorted((_view(e) for e in events), key=lambda v: (v.effective_on, v.recorded_at), reverse=True)
    return MedicationSummary(
        tuple(c for c in courses if c.current), tuple(c for c in courses if not c.current), tuple(history)
    )


def start(book: Casebook, resident_id: str, data: Mapping[str, Any] | MedicationInput) -> MedicationCourse:
    book.require(Permission.EDIT_RESIDENTS)
    values, errors = validate_medication(data, today=local_today(book.clock))
    if errors:
        raise ValidationError(errors)
    with book._write() as s:
        _resident(s, resident_id)
        event_id = new_id()  # a course is named by its start event
        e = MedicationEvent(id=event_id, course_id=event_id, resident_id=resident_id, event="start", **values)
        s.add(e)
        s.flush([e])
        book._record(s, "medication.start", "medication", e.course_id, resident_id=resident_id)
        return _course([e])


def change(book: Casebook, course_id: str, data: Mapping[str, Any] | MedicationInput) -> MedicationCourse:
    """A new dose, frequency or prescriber from a date. Blank fields keep their current value."""
    book.require(Permission.EDIT_RESIDENTS)
    values, errors = validate_medication(data, today=local_today(book.clock), name_required=False)
    with book._write() as s:
        events = _course_events(s, course_id)
        course = _course(events)
        if not course.current:
            errors.setdefault(
                "name", f"{course.name} was stopped on {course.stopped_on:%d/%m/%Y}; start it again."
            )
        elif values.get("effective_on") and values["effective_on"] < course.started_on:
            errors.setdefault(
                "effective_on", f"The change cannot be before the start ({course.started_on:%d/%m/%Y})."
            )
        keep = {k: values.get(k) or getattr(course, k) for k in ("name", "dose", "frequency", "prescriber", "route")}
        directed = values.get("as_directed")  # True / False / None (not said: keep)
        if directed:
            as_directed, keep["dose"], keep["frequency"] = True, None, None  # in place of both
        elif (directed is False and course.as_directed) or values.get("dose") or values.get("frequency"):
            as_directed = False
            if course.as_directed:  # nothing to keep: both must be given
                for key, label in (("dose", "dose"), ("frequency", "how often it is taken")):
                    if not values.get(key):
                        errors.setdefault(key, f"Give the {label} too: it was taken as directed until now.")
        else:
            as_directed = bool(course.as_directed)
        if keep["route"] is None:
            errors.setdefault("route", "Choose how it is taken: it was not recorded when this medicine was started.")
        if errors:
            raise ValidationError(errors)
        keep["as_directed"] = as_directed
        e = MedicationEvent(
            resident_id=course.resident_id,
            course_id=course_id,
            event="change",
            effective_on=values["effective_on"],
            notes=values.get("notes"),
            **keep,
        )
        s.add(e)
        s.flush([e])
        book._record(s, "medication.change", "medication", course_id, resident_id=course.resident_id)
        return _course([*events, e])


def stop(
    book: Casebook, course_id: str, stopped_on: date | str | None, notes: str | None
) -> MedicationCourse:
    book.require(Permission.EDIT_RESIDENTS)
    today = local_today(book.clock)
    c = Cleaner({"effective_on": stopped_on or today, "notes": notes})
    c.date("effective_on", "Date stopped", required=True, not_after=today,
           not_before=date_ranges.EARLIEST_MEDICATION)
    c.text("notes", "Notes", max_len=2000)
    with book._write() as s:
        events = _course_events(s, course_id)
        course = _course(events)
        if not course.current:
            c.error("effective_on", f"{course.name} was already stopped on {course.stopped_on:%d/%m/%Y}.")
        elif "effective_on" in c.values and c.values["effective_on"] < course.started_on:
            c.error("effective_on", f"It cannot stop before it started ({course.started_on:%d/%m/%Y}).")
        if c.errors:
            raise ValidationError(c.errors)
        e = MedicationEvent(
            resident_id=course.resident_id,
            course_id=course_id,
            event="stop",
            name=course.name,
            dose=course.dose,
            frequency=course.frequency,
            prescriber=course.prescriber,
            route=course.route,
            as_directed=course.as_directed,
            effective_on=c.values["effective_on"],
            notes=c.values.get("notes"),
        )
        s.add(e)
        s.flush([e])
        book._record(s, "medication.stop", "medication", course_id, resident_id=course.resident_id)
        return _course([*events, e])


# -- consents ----------------------------------------------------------------------------------
def validate_consent(
    kind: str, given: Any, parties: Sequence[str], recorded_on: Any, notes: str | None, *, today: date
) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner({"kind": kind, "given": given, "recorded_on": recorded_on or today, "notes": notes})
    c.choice("kind", "Consent", ref.consent_kinds(), required=True)
    c.boolean("given", "Consent given")
    c.date("recorded_on", "Date recorded", required=True, not_after=today)
    c.text("notes", "Notes", max_len=2000)
    names = [p.strip() for p in parties if p and p.strip()]
    if c.values.get("kind") == "information_sharing" and c.values.get("given") and not names:
        c.error("parties", "Name the people or organisations information may be shared with.")
    if any(len(p) > 200 for p in names):
        c.error("parties", "Each party's name must be 200 characters or fewer.")
    c.values["parties"] = names
    return c.values, c.errors


def _consent_view(x: Consent, names: Mapping[str, str]) -> ConsentView:
    return ConsentView(
        x.id,
        x.resident_id,
        x.kind,
        ref.label(ref.consent_kinds(), x.kind),
        x.given,
        tuple(json.loads(x.parties or "[]")),
        x.recorded_on,
        x.recorded_by,
        names.get(x.recorded_by or "", ""),
        x.notes,
        x.superseded_by_id is None,
    )


def add_consent(s: Session, resident_id: str, values: Mapping[str, Any], recorded_by: str | None) -> Consent:
    """Insert a consent and supersede the current one of the same kind (used by the service and the demo)."""
    x = Consent(
        resident_id=resident_id,
        kind=values["kind"],
        given=values["given"],
        parties=json.dumps(list(values.get("parties") or [])),
        recorded_on=values["recorded_on"],
        recorded_by=recorded_by,
        notes=values.get("notes"),
    )
    s.add(x)
    s.flush([x])
    for old in s.scalars(
        select(Consent).where(
            Consent.resident_id == resident_id,
            Consent.kind == x.kind,
            Consent.superseded_by_id.is_(None),
            Consent.id != x.id,
        )
    ):
        old.superseded_by_id = x.id
    return x


def record_consent(
    book: Casebook,
    resident_id: str,
    kind: str,
    given: bool,
    *,
    parties: Sequence[str],
    recorded_on: date | str | None,
    notes: str | None,
) -> ConsentView:
    """Consent as given (or refused) on a date, with who recorded it (the signed-in user)."""
    book.require(Permission.EDIT_RESIDENTS)
    values, errors = validate_consent(kind, given, parties, recorded_on, notes, today=local_today(book.clock))
    if errors:
        raise ValidationError(errors)
    with book._write() as s:
        _resident(s, resident_id)
        x = add_consent(s, resident_id, values, book.actor.id)
        book._record(
            s,
            "consent.record",
            "consent",
            x.id,
            resident_id=resident_id,
            detail={"kind": x.kind, "given": x.given},
        )
        return _consent_view(x, {book.actor.id: book.actor.full_name})


def consents(book: Casebook, resident_id: str, *, history: bool = False) -> list[ConsentView]:
    book.require(Permission.VIEW_RESIDENTS)
    with book._write() as s:
        _resident(s, resident_id)
        views = consents_in(s, resident_id, history=history)
        book._record(s, "consent.view", "resident", resident_id, resident_id=resident_id)
        return views


def consents_in(s: Session, resident_id: str, *, history: bool = False) -> list[ConsentView]:
    """Inside the caller's session (and audit entry): the current consents, or all with `history`."""
    from keyworker.residents import account_names

    q = select(Consent).where(Consent.resident_id == resident_id, Consent.archived.is_(False))
    if not history:
        q = q.where(Consent.superseded_by_id.is_(None))
    rows = s.scalars(q.order_by(Consent.recorded_on.desc(), Consent.created_at.desc())).all()
    names = account_names(s)
    return [_consent_view(x, names) for x in rows]


__all__ = [
    "MedicationInput",
    "MedicationCourse",
    "MedicationEventView",
    "MedicationSummary",
    "ConsentView",
    "validate_medication",
    "validate_consent",
    "parse_date",
]

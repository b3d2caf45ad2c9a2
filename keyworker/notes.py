"""Case notes and handover (`book.notes`): any member of staff, nights included, writes a timed
note with a category, optionally "for the next shift" (open until someone acknowledges it). Notes
are append-only: a correction supersedes with a reason (keyworker/corrections.py). The handover
is the unit's notes and incidents since a time (default: the start of the previous shift,
keyworker/shifts.py). `timeline` is the resident's Notes tab: every registered source
(keyworker/timeline.py) with full-text search (keyworker/note_search.py)."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from keyworker import corrections, note_search, timeline
from keyworker import reference_data as ref
from keyworker.clock import format_datetime
from keyworker.db.caseload import Admission, Resident
from keyworker.db.incidents import Incident
from keyworker.db.notes import CaseNote
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.shifts import DEFAULT_STARTS, ShiftStart, parse_start, previous_shift
from keyworker.timeline import TimelineEntry
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

CATEGORIES: tuple[ref.Option, ...] = (
    ref.Option("general", "General"),
    ref.Option("handover", "Handover"),
    ref.Option("health", "Health"),
    ref.Option("behaviour", "Behaviour"),
    ref.Option("family_contact", "Family contact"),
    ref.Option("safeguarding", "Safeguarding"),
)
CATEGORY_LABELS = {o.code: o.label for o in CATEGORIES}
# The terms of the partial index ix_case_notes_open_flags (migration 0013), written as it is
# ("= 1", not "IS 1"), so SQLite reads the handful of open flags from it instead of the table.
OPEN_FLAG = (CaseNote.for_next_shift == 1, CaseNote.acknowledged_at.is_(None),
             CaseNote.superseded_by_id.is_(None), CaseNote.archived == 0)
TEXT_MAX = 8000


@dataclass(frozen=True)
class NoteInput:
    resident_id: str
    text: str
    category: str = "general"  # a code or label of CATEGORIES
    about_at: datetime | str | None = None  # the time it is about; None = now
    for_next_shift: bool = False


@dataclass(frozen=True)
class NoteView:
    id: str
    resident_id: str
    about_at: datetime
    category: str
    text: str
    for_next_shift: bool
    acknowledged_at: datetime | None
    acknowledged_by_name: str
    written_at: datetime
    written_by_name: str
    supersedes_id: str | None
    superseded_by_id: str | None
    correction_reason: str | None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, "General")

    @property
    def flag_open(self) -> bool:
        return self.for_next_shift and self.acknowledged_at is None and self.superseded_by_id is None


PAGE_SIZE = 200  # the Notes tab shows the newest 200 first


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]  # newest first
    total: int  # every entry matching the filters and search, shown or not
    older: int  # how many older entries come after this page ("Show older entries (N more)")


@dataclass(frozen=True)
class HandoverItem:
    """A line of the handover: a note or an incident, with the resident it is about."""

    kind: str  # "note" | "incident"
    record_id: str
    resident_id: str
    resident_name: str
    reference: str
    at: datetime
    title: str  # "Handover note" / "Incident: Violence or threat"
    text: str
    by_name: str
    flagged: bool  # for the next shift, not yet acknowledged

    @property
    def when_text(self) -> str:
        return format_datetime(self.at)


@dataclass(frozen=True)
class Handover:
    since: datetime
    since_words: str  # "the start of the late shift (14:30 on 01/12/2026)" or "01/12/2026 14:30"
    items: tuple[HandoverItem, ...]  # flagged first, then newest first


def validate_note(data: Mapping[str, Any] | NoteInput, *, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    fields = dict(form_fields(data))
    if fields.get("about_at") in (None, ""):
        fields["about_at"] = now
    c = Cleaner(fields)
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.text("text", "Note", required=True, max_len=TEXT_MAX)
    c.choice("category", "Category", CATEGORIES, required=True)
    c.datetime("about_at", "Time the note is about", required=True, not_after=now + timedelta(minutes=5))
    c.boolean("for_next_shift", "For the next shift")
    return c.values, c.errors


def _view(x: CaseNote, names: Mapping[str, str]) -> NoteView:
    return NoteView(x.id, x.resident_id, x.about_at, x.category, x.text, x.for_next_shift, x.acknowledged_at,
                    names.get(x.acknowledged_by or "", ""), x.created_at, names.get(x.created_by or "", ""),
                    x.supersedes_id, x.superseded_by_id, x.correction_reason)


def resident_in(s: Session, resident_id: str) -> Resident:
    r = s.get(Resident, resident_id)
    if r is None or r.archived:
        raise NotFound("That resident does not exist.")
    return r


def _name(r: Resident) -> str:
    return f"{r.preferred_name or r.given_name} {r.family_name}"


def _note_title(x: CaseNote) -> str:
    return f"{CATEGORY_LABELS.get(x.category, 'General')} note"


# -- timeline sources ---------------------------------------------------------------------------
def _note_entries(s: Session, resident_id: str, date_from: date | None, date_to: date | None) -> list[TimelineEntry]:
    """Columns, not ORM objects: a resident's 2,000 notes load in one light query."""
    low, high = timeline.day_bounds(date_from, date_to)
    conds = []
    if low:
        conds.append(CaseNote.about_at >= low)
    if high:
        conds.append(CaseNote.about_at < high)
    return _note_rows(s, resident_id, *conds)


def _note_entries_by_id(s: Session, resident_id: str, ids: Collection[str]) -> list[TimelineEntry]:
    """Only these notes of the resident (the search's hits), not their whole timeline."""
    return _note_rows(s, resident_id, CaseNote.id.in_(list(ids))) if ids else []


def _note_page(s: Session, resident_id: str, date_from: date | None, date_to: date | None, limit: int,
               before: tuple[datetime, str] | None) -> tuple[list[TimelineEntry], int, int]:
    """The newest `limit` notes older than `before` (the index on about_at), and the counts: a
    record of 2,000 notes opens on 200 read, not 2,000."""
    low, high = timeline.day_bounds(date_from, date_to)
    conds = [CaseNote.resident_id == resident_id, CaseNote.archived.is_(False)]
    if low:
        conds.append(CaseNote.about_at >= low)
    if high:
        conds.append(CaseNote.about_at < high)
    total = int(s.scalar(select(func.count()).select_from(CaseNote).where(*conds)) or 0)
    if before is not None:
        at, rid = before
        conds.append(or_(CaseNote.about_at < at, and_(CaseNote.about_at == at, CaseNote.id < rid)))
        older = int(s.scalar(select(func.count()).select_from(CaseNote).where(*conds)) or 0)
    else:
        older = total
    entries = _note_rows(s, resident_id, *conds[2:], order=True, limit=limit)
    return entries, total, older


def _note_rows(s: Session, resident_id: str, *conds: Any, order: bool = False,
               limit: int | None = None) -> list[TimelineEntry]:
    from keyworker.residents import account_names

    q = select(CaseNote.id, CaseNote.about_at, CaseNote.category, CaseNote.text, CaseNote.created_by,
               CaseNote.superseded_by_id, CaseNote.supersedes_id, CaseNote.correction_reason,
               CaseNote.for_next_shift, CaseNote.acknowledged_at).where(
        CaseNote.resident_id == resident_id, CaseNote.archived.is_(False), *conds)
    if order:
        q = q.order_by(CaseNote.about_at.desc(), CaseNote.id.desc())
    if limit is not None:
        q = q.limit(limit)
    rows = s.execute(q).tuples().all()
    names = account_names(s)
    reasons = {r[0]: r[7] for r in rows if r[6]}
    missing = {r[5] for r in rows if r[5] and r[5] not in reasons}
    if missing:  # a correction outside the dates shown still gives its reason
        reasons.update(s.execute(select(CaseNote.id, CaseNote.correction_reason)
                                 .where(CaseNote.id.in_(missing))).tuples().all())
    titles = {code: f"{label} note" for code, label in CATEGORY_LABELS.items()}
    entry = TimelineEntry
    return [entry("note", nid, resident_id, at, titles.get(cat, "General note"), body, names.get(by or "", ""),
                  later is not None, (reasons.get(later) or "") if later else (why or ""), earlier,
                  bool(flag and acked is None and later is None))
            for nid, at, cat, body, by, later, earlier, why, flag, acked in rows]


def _incident_entries(s: Session, resident_id: str, date_from: date | None,
                      date_to: date | None) -> list[TimelineEntry]:
    from keyworker.incidents import TYPE_LABELS
    from keyworker.residents import account_names

    low, high = timeline.day_bounds(date_from, date_to)
    q = select(Incident).where(Incident.resident_id == resident_id, Incident.archived.is_(False))
    if low:
        q = q.where(Incident.occurred_at >= low)
    if high:
        q = q.where(Incident.occurred_at < high)
    names = account_names(s)
    return [TimelineEntry("incident", x.id, x.resident_id, x.occurred_at,
                          f"Incident: {TYPE_LABELS.get(x.kind, 'Other')}", x.description,
                          names.get(x.created_by or "", ""), False) for x in s.scalars(q)]


timeline.register_timeline_source("note", "Notes", _note_entries, _note_entries_by_id, _note_page)
timeline.register_timeline_source("incident", "Incidents", _incident_entries)


def shift_starts(session: Session) -> dict[str, time]:
    """The unit's shift start times (settings shift_early/late/night), defaults where unset."""
    from keyworker.db.foundation import Setting

    out = {}
    for name, default in DEFAULT_STARTS.items():
        row = session.get(Setting, f"shift_{name}")
        out[name] = parse_start(row.value if row else None, default)
    return out


note_search.register_source("case_notes", "note", CaseNote, lambda x: x.text)


class NoteService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # -- writing -------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.WRITE_NOTES)
    def write(self, data: NoteInput) -> NoteView:
        """A new note (audited `note.write`), indexed for search in the same transaction."""
        from keyworker.residents import account_names

        book = self._book
        values, errors = validate_note(data, now=book.clock.now())
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            resident_in(s, values["resident_id"])
            x = CaseNote(**values)
            s.add(x)
            s.flush([x])
            note_search.index(s, x.resident_id, "note", x.id, x.text)
            book._record(s, "note.write", "case_note", x.id, resident_id=x.resident_id,
                         detail={"category": x.category, "for_next_shift": x.for_next_shift})
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.WRITE_NOTES)
    def correct(self, note_id: str, data: NoteInput, reason: str) -> NoteView:
        """A correction: a new note that supersedes `note_id` (which stays, struck through)."""
        from keyworker.residents import account_names

        book = self._book
        why = corrections.clean_reason(reason)
        values, errors = validate_note(data, now=book.clock.now())
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            old = corrections.current_row(s, CaseNote, note_id, "note")
            if values["resident_id"] != old.resident_id:
                raise ValidationError({"resident_id": "A correction is about the same resident as the note."})
            if (values["text"], values["category"], values["about_at"], values["for_next_shift"]) == \
                    (old.text, old.category, old.about_at, old.for_next_shift):
                raise ValidationError({"text": "Nothing in the note has changed."})
            new = CaseNote(**values)
            corrections.supersede(s, old, new, why)
            note_search.unindex(s, "note", old.id)
            note_search.index(s, new.resident_id, "note", new.id, new.text)
            book._record(s, "note.correct", "case_note", new.id, resident_id=new.resident_id,
                         detail=corrections.audit_detail(old.id, why))
            return _view(new, account_names(s))

    @typed_inputs(requires=Permission.WRITE_NOTES)
    def acknowledge(self, note_id: str) -> NoteView:
        """Clear a note's "for the next shift" flag: read and acted on (who and when kept)."""
        from keyworker.residents import account_names

        book = self._book
        with book._write() as s:
            x = s.get(CaseNote, note_id)
            if x is None or x.archived:
                raise NotFound("That note does not exist.")
            if not x.for_next_shift or x.superseded_by_id is not None:
                raise ValidationError({"": "This note is not flagged for the next shift."})
            if x.acknowledged_at is not None:
                raise ValidationError({"": "This note has already been acknowledged."})
            x.acknowledged_at = book.clock.now()
            x.acknowledged_by = book.actor.id
            book._record(s, "note.acknowledge", "case_note", x.id, resident_id=x.resident_id)
            return _view(x, account_names(s))

    # -- reading -------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, note_id: str) -> NoteView:
        from keyworker.residents import account_names

        with self._book._write() as s:
            x = s.get(CaseNote, note_id)
            if x is None or x.archived:
                raise NotFound("That note does not exist.")
            self._book._record(s, "note.view", "case_note", x.id, resident_id=x.resident_id)
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def history(self, note_id: str) -> list[NoteView]:
        """Every version of a note, oldest first: the corrected text stays readable."""
        from keyworker.residents import account_names

        with self._book._write() as s:
            rows = corrections.chain(s, CaseNote, note_id)
            if not rows:
                raise NotFound("That note does not exist.")
            self._book._record(s, "note.history", "case_note", note_id, resident_id=rows[0].resident_id)
            names = account_names(s)
            return [_view(x, names) for x in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def timeline(self, resident_id: str, kinds: tuple[str, ...] = (), date_from: date | None = None,
                 date_to: date | None = None, search: str = "", limit: int | None = None,
                 before: tuple[datetime, str] | None = None) -> list[TimelineEntry]:
        """The resident's notes, contacts, sessions and incidents, newest first (audited
        `notes.history`); `search`: only entries whose text has every word. `limit`: at most
        that many; `before`: only entries older than (at, record_id) of the last one shown."""
        return self.timeline_page(resident_id, kinds, date_from, date_to, search, limit, before).entries

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def timeline_page(self, resident_id: str, kinds: tuple[str, ...] = (), date_from: date | None = None,
                      date_to: date | None = None, search: str = "", limit: int | None = PAGE_SIZE,
                      before: tuple[datetime, str] | None = None) -> TimelinePage:
        """A page of `timeline`, newest first, and how many entries match in all (the Notes tab:
        "200 of 2,201 shown", then "Show older entries" asks again with `before` the last shown).
        Audited `notes.history` like `timeline`: every read is."""
        known = {src.kind for src in timeline.sources()}
        if any(k not in known for k in kinds):
            raise ValidationError({"kinds": "Choose from: " + ", ".join(src.label for src in timeline.sources()) + "."})
        if date_from and date_to and date_from > date_to:
            raise ValidationError({"date_to": "“To” must be on or after “From”."})
        if len(search) > 200:
            raise ValidationError({"search": "Search for at most 200 characters."})
        if limit is not None and limit < 1:
            raise ValidationError({"limit": "Show at least one entry."})
        with self._book._write() as s:
            resident_in(s, resident_id)
            if search.strip():
                # The index first: no hit, no timeline to build (the common case while typing).
                # Then only the hits are read from their sources, never the whole timeline.
                hits = note_search.search(s, search, resident_id, limit=5000)
                entries = timeline.merge_ids(s, resident_id, hits, kinds, date_from, date_to)
            elif limit is not None:  # a page: the big sources read that page alone
                entries, total, older = timeline.page(s, resident_id, kinds, date_from, date_to, limit,
                                                      before)
                self._audit_timeline(s, resident_id, search)
                return TimelinePage(entries, total, older)
            else:
                entries = timeline.merge(s, resident_id, kinds, date_from, date_to)
            total = len(entries)
            if before is not None:
                entries = [e for e in entries if (e.at, e.record_id) < before]
            older = len(entries)
            if limit is not None:
                entries = entries[:limit]
            self._audit_timeline(s, resident_id, search)
            return TimelinePage(entries, total, older - len(entries))

    def _audit_timeline(self, s: Session, resident_id: str, search: str) -> None:
        self._book._record(s, "notes.history", "resident", resident_id, resident_id=resident_id,
                           detail={"search": bool(search.strip())} if search.strip() else None)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def handover(self, since: datetime | str | None = None) -> Handover:
        """The unit's notes and incidents since `since` (default: the start of the previous shift),
        flagged notes first, then newest first. Audited `notes.handover` (one entry: the time)."""
        from keyworker.incidents import TYPE_LABELS
        from keyworker.residents import account_names

        book = self._book
        now = book.clock.now()
        with book._write() as s:
            if since in (None, ""):
                start: ShiftStart = previous_shift(now, shift_starts(s))
                at, words = start.at, start.words
            else:
                c = Cleaner({"since": since})
                c.datetime("since", "Since", required=True, not_after=now + timedelta(minutes=5))
                if c.errors:
                    raise ValidationError(c.errors)
                at = c.values["since"]
                words = format_datetime(at)
            names = account_names(s)
            # Only the time bounds each query (its index); superseded notes are dropped here, as
            # "superseded_by_id IS NULL" would lead SQLite away from the time index.
            notes = [x for x in s.scalars(select(CaseNote).where(CaseNote.about_at >= at))
                     if not x.archived and x.superseded_by_id is None]
            incidents = [i for i in s.scalars(select(Incident).where(Incident.occurred_at >= at)) if not i.archived]
            ids = {x.resident_id for x in notes} | {i.resident_id for i in incidents}
            people = {r.id: r for r in s.scalars(select(Resident).where(Resident.id.in_(ids)))} if ids else {}
            items: list[HandoverItem] = []
            for x in notes:
                r = people[x.resident_id]
                items.append(HandoverItem("note", x.id, r.id, _name(r), r.reference, x.about_at, _note_title(x),
                                          x.text, names.get(x.created_by or "", ""),
                                          x.for_next_shift and x.acknowledged_at is None))
            for i in incidents:
                r = people[i.resident_id]
                items.append(HandoverItem("incident", i.id, r.id, _name(r), r.reference, i.occurred_at,
                                          f"Incident: {TYPE_LABELS.get(i.kind, 'Other')}", i.description,
                                          names.get(i.created_by or "", ""), False))
            items.sort(key=lambda h: h.at, reverse=True)
            items.sort(key=lambda h: not h.flagged)
            book._record(s, "notes.handover", "unit", None, detail={"since": at.isoformat(), "items": len(items)})
            return Handover(at, words, tuple(items))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def open_flags(self, scope: str = "mine") -> list[HandoverItem]:
        """Notes flagged for the next shift and not yet acknowledged, newest first (Today). A key
        worker's "mine": their residents'; a senior's or a night worker's "unit": everyone's. A
        list (not audited): the text is shown by opening the note."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose mine or unit."})
        book = self._book
        with book._read() as s:
            q = (select(CaseNote, Resident).join(Resident, Resident.id == CaseNote.resident_id)
                 .where(*OPEN_FLAG))
            if scope == "mine":
                q = q.where(CaseNote.resident_id.in_(select(Admission.resident_id).where(
                    Admission.key_worker_id == book.actor.id, Admission.discharged_on.is_(None),
                    Admission.archived.is_(False))))
            from keyworker.residents import account_names

            names = account_names(s)
            return [HandoverItem("note", x.id, r.id, _name(r), r.reference, x.about_at, _note_title(x), "",
                                 names.get(x.created_by or "", ""), True)
                    for x, r in s.execute(q.order_by(CaseNote.about_at.desc())).tuples()]

    def counts(self, session: Session) -> dict[str, int]:
        n = session.scalar(select(func.count()).select_from(CaseNote).where(*OPEN_FLAG))
        return {"handover_flags_open": int(n or 0)}

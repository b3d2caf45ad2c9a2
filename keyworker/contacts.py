"""The contacts log (`book.contacts`): calls, letters, emails and visits with family, carers, the
referrer, the Community Treatment Provider and other agencies. The resident's consents decide
who may be contacted (keyworker/contact_consent.py): a contact with a party they have not
consented to is refused with the reason; a safeguarding contact is the recorded exception and
needs a reason. Append-only: a correction supersedes with a reason. Nights log contacts too."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker import corrections, note_search, timeline
from keyworker import reference_data as ref
from keyworker.clock import format_datetime
from keyworker.contact_consent import PARTY_KINDS, PARTY_LABELS, refusal
from keyworker.db.notes import ContactLog
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.notes import resident_in
from keyworker.security.permissions import Permission
from keyworker.timeline import TimelineEntry
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

METHODS: tuple[ref.Option, ...] = (
    ref.Option("phone", "Phone call"),
    ref.Option("letter", "Letter"),
    ref.Option("email", "Email"),
    ref.Option("visit", "Visit"),
    ref.Option("video", "Video call"),
)
METHOD_LABELS = {o.code: o.label for o in METHODS}
DIRECTIONS: tuple[ref.Option, ...] = (ref.Option("out", "We contacted them"), ref.Option("in", "They contacted us"))
SUMMARY_MAX = 8000


@dataclass(frozen=True)
class ContactInput:
    resident_id: str
    party_kind: str  # a code or label of keyworker.contact_consent.PARTY_KINDS
    with_name: str  # who: "Ann Lee (mother)", "Dr Shah", "Inspire Preston"
    method: str  # a code or label of METHODS
    summary: str
    at: datetime | str | None = None  # None = now
    direction: str = "out"
    safeguarding: bool = False  # contact made for safeguarding: the exception to consent
    safeguarding_reason: str | None = None


@dataclass(frozen=True)
class ContactView:
    id: str
    resident_id: str
    at: datetime
    party_kind: str
    with_name: str
    method: str
    direction: str
    summary: str
    safeguarding: bool
    safeguarding_reason: str | None
    logged_at: datetime
    logged_by_name: str
    supersedes_id: str | None
    superseded_by_id: str | None
    correction_reason: str | None

    @property
    def title(self) -> str:
        return contact_title(self.method, self.direction, self.party_kind, self.with_name, self.safeguarding)

    @property
    def when_text(self) -> str:
        return format_datetime(self.at)


def contact_title(method: str, direction: str, party_kind: str, with_name: str, safeguarding: bool) -> str:
    way = "from" if direction == "in" else "with"
    if method in ("letter", "email"):
        way = "from" if direction == "in" else "to"
    words = f"{METHOD_LABELS.get(method, 'Contact')} {way} {PARTY_LABELS.get(party_kind, 'someone').lower()}: {with_name}"
    if party_kind in ("ctp", "gp"):
        words = f"{METHOD_LABELS.get(method, 'Contact')} {way} the {PARTY_LABELS[party_kind]}: {with_name}"
    return words + (" (safeguarding)" if safeguarding else "")


def validate_contact(data: Mapping[str, Any] | ContactInput, *, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    fields = dict(form_fields(data))
    if fields.get("at") in (None, ""):
        fields["at"] = now
    c = Cleaner(fields)
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.choice("party_kind", "Contact with", PARTY_KINDS, required=True)
    c.text("with_name", "Name", required=True, max_len=200)
    c.choice("method", "How", METHODS, required=True)
    c.choice("direction", "Who made contact", DIRECTIONS, required=True)
    c.text("summary", "Summary", required=True, max_len=SUMMARY_MAX)
    c.datetime("at", "Date and time", required=True, not_after=now + timedelta(minutes=5))
    c.boolean("safeguarding", "Safeguarding contact")
    c.text("safeguarding_reason", "Safeguarding reason", max_len=2000)
    if c.values.get("safeguarding") and not c.values.get("safeguarding_reason") and "safeguarding_reason" not in c.errors:
        c.error("safeguarding_reason", "Say why this safeguarding contact was made without the resident's consent.")
    if not c.values.get("safeguarding") and c.values.get("safeguarding_reason"):
        c.error("safeguarding", "Tick “Safeguarding contact” to give a safeguarding reason.")
    return c.values, c.errors


def _view(x: ContactLog, names: Mapping[str, str]) -> ContactView:
    return ContactView(x.id, x.resident_id, x.at, x.party_kind, x.with_name, x.method, x.direction, x.summary,
                       x.safeguarding, x.safeguarding_reason, x.created_at, names.get(x.created_by or "", ""),
                       x.supersedes_id, x.superseded_by_id, x.correction_reason)


def _search_text(x: ContactLog) -> str:
    return f"{x.with_name}\n{x.summary}\n{x.safeguarding_reason or ''}"


note_search.register_source("contacts", "contact", ContactLog, _search_text)


def _entries(s: Session, resident_id: str, date_from: date | None, date_to: date | None) -> list[TimelineEntry]:
    low, high = timeline.day_bounds(date_from, date_to)
    q = select(ContactLog).where(ContactLog.resident_id == resident_id, ContactLog.archived.is_(False))
    if low:
        q = q.where(ContactLog.at >= low)
    if high:
        q = q.where(ContactLog.at < high)
    return _rows_entries(s, list(s.scalars(q)))


def _entries_by_id(s: Session, resident_id: str, ids: Collection[str]) -> list[TimelineEntry]:
    """Only these contacts of the resident (the search's hits)."""
    if not ids:
        return []
    q = select(ContactLog).where(ContactLog.resident_id == resident_id, ContactLog.archived.is_(False),
                                 ContactLog.id.in_(list(ids)))
    return _rows_entries(s, list(s.scalars(q)))


def _rows_entries(s: Session, rows: list[ContactLog]) -> list[TimelineEntry]:
    from keyworker.residents import account_names

    names = account_names(s)
    by_id = {x.id: x for x in rows}
    out = []
    for x in rows:
        body = x.summary + (f"\nSafeguarding: {x.safeguarding_reason}" if x.safeguarding else "")
        out.append(TimelineEntry("contact", x.id, x.resident_id, x.at,
                                 contact_title(x.method, x.direction, x.party_kind, x.with_name, x.safeguarding),
                                 body, names.get(x.created_by or "", ""), x.superseded_by_id is not None,
                                 corrections.reason_shown(s, ContactLog, x, by_id), x.supersedes_id))
    return out


timeline.register_timeline_source("contact", "Contacts", _entries, _entries_by_id)


class ContactService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _checked(self, s: Session, values: Mapping[str, Any]) -> None:
        r = resident_in(s, values["resident_id"])
        if values.get("safeguarding"):
            return  # the recorded exception: its reason is on the row and in the audit entry
        message = refusal(s, r, values["party_kind"], values["with_name"])
        if message:
            raise ValidationError({"party_kind": message})

    @typed_inputs(requires=Permission.WRITE_NOTES)
    def log(self, data: ContactInput) -> ContactView:
        """Log a contact (audited `contact.log`), refused without the resident's consent."""
        from keyworker.residents import account_names

        book = self._book
        values, errors = validate_contact(data, now=book.clock.now())
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            self._checked(s, values)
            x = ContactLog(**values)
            s.add(x)
            s.flush([x])
            note_search.index(s, x.resident_id, "contact", x.id, _search_text(x))
            book._record(s, "contact.log", "contact", x.id, resident_id=x.resident_id,
                         detail={"party_kind": x.party_kind, "method": x.method, "safeguarding": x.safeguarding})
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.WRITE_NOTES)
    def correct(self, contact_id: str, data: ContactInput, reason: str) -> ContactView:
        """A correction supersedes the contact (which stays, struck through, in the history)."""
        from keyworker.residents import account_names

        book = self._book
        why = corrections.clean_reason(reason)
        values, errors = validate_contact(data, now=book.clock.now())
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            old = corrections.current_row(s, ContactLog, contact_id, "contact")
            if values["resident_id"] != old.resident_id:
                raise ValidationError({"resident_id": "A correction is about the same resident as the contact."})
            self._checked(s, values)
            new = ContactLog(**values)
            corrections.supersede(s, old, new, why)
            note_search.unindex(s, "contact", old.id)
            note_search.index(s, new.resident_id, "contact", new.id, _search_text(new))
            book._record(s, "contact.correct", "contact", new.id, resident_id=new.resident_id,
                         detail=corrections.audit_detail(old.id, why))
            return _view(new, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, contact_id: str) -> ContactView:
        from keyworker.residents import account_names

        with self._book._write() as s:
            x = s.get(ContactLog, contact_id)
            if x is None or x.archived:
                raise NotFound("That contact does not exist.")
            self._book._record(s, "contact.view", "contact", x.id, resident_id=x.resident_id)
            return _view(x, account_names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def history(self, contact_id: str) -> list[ContactView]:
        """Every version of a contact, oldest first."""
        from keyworker.residents import account_names

        with self._book._write() as s:
            rows = corrections.chain(s, ContactLog, contact_id)
            if not rows:
                raise NotFound("That contact does not exist.")
            self._book._record(s, "contact.history", "contact", contact_id, resident_id=rows[0].resident_id)
            names = account_names(s)
            return [_view(x, names) for x in rows]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def check_consent(self, resident_id: str, party_kind: str, with_name: str = "") -> str:
        """The refusal a contact with this party would meet ("" when consented), for the dialog
        to say before anything is typed. Reads the consents: audited `consent.view`."""
        c = Cleaner({"party_kind": party_kind, "with_name": with_name})
        c.choice("party_kind", "Contact with", PARTY_KINDS, required=True)
        c.text("with_name", "Name", max_len=200)
        if c.errors:
            raise ValidationError(c.errors)
        with self._book._write() as s:
            r = resident_in(s, resident_id)
            self._book._record(s, "consent.view", "resident", r.id, resident_id=r.id)
            return refusal(s, r, c.values["party_kind"], c.values.get("with_name") or "") or ""

"""The audit viewer's queries (Administration → Audit trail; `book.audit.search` / `export_csv`):
the whole trail newest first, filtered by person, resident, action and the unit's days, a page at
a time by keyset (`seq < before`), so a unit with hundreds of thousands of entries answers at once.

Caldicott: who may not read residents' records (the administrator) sees a resident only by
reference (R-00042), finds one only by reference or record id, and never sees the details of a
clinical entry (a medication's name, a decline's reason, a letter's title): only what happened.
Lines are in the words of keyworker/audit_words.py, as on the resident's History tab."""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from keyworker import audit_words
from keyworker.clock import LONDON, format_datetime
from keyworker.date_ranges import EARLIEST_RECORD, PLANNING_HORIZON, out_of_range
from keyworker.db.caseload import Referral, Resident
from keyworker.db.foundation import Account, AuditEntry
from keyworker.errors import ValidationError
from keyworker.text import starts_like_formula

PAGE = 200
MAX_PAGE = 1000
EXPORT_BATCH = 5000
MAX_RESIDENT_MATCHES = 500  # a name typed as one letter would match half the unit: enough to list
# Areas whose entries are about a person's care: their details are for clinical staff only.
CLINICAL_AREAS = frozenset({"referral", "resident", "admission", "medication", "consent", "care_plan", "review",
                            "document"})


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer shows; every field empty: the whole trail."""

    actor_id: str | None = None  # a staff account's id
    resident: str | None = None  # a reference (R-00042 or 42) or record id; seniors may also type a name
    actions: tuple[str, ...] = ()  # audit actions (one choice of action_choices()); empty: all
    date_from: date | None = None  # the unit's days (Europe/London), both inclusive
    date_to: date | None = None


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: datetime
    who: str  # full name as the account has it now, else the user name
    username: str
    what: str  # "Care plan version 3 agreed"
    details: str  # "" when there are none, or when the viewer may not read them
    resident: str  # "Ann Doe (R-00042)" for clinical staff, "R-00042" for an administrator, "" if none


@dataclass(frozen=True)
class AuditPage:
    lines: tuple[AuditLine, ...]
    more: bool  # older entries match too: ask again with before=lines[-1].seq
    total: int | None  # how many entries match (the first page only)
    resident_found: bool = True  # False: the resident typed matches no one, so nothing is listed


# -- the choices of action, in words -------------------------------------------------------------
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Signing in and locking", ("sign_in", "sign_in.failed", "sign_in.failed_unknown_names", "unlock", "lock")),
    ("Staff accounts", ("account.",)),
    ("Backups, restores and checks", ("backup", "unit.restore", "check", "unit.migrate", "vault.repair")),
    ("Unit settings and profile", ("unit.create", "setting.", "unit_profile.", "demo.")),
    ("Audit trail looked at or exported", ("audit.",)),
    ("Spreadsheet imports", ("import.",)),
    ("Reports", ("report.",)),
    ("Referrals", ("referral.",)),
    ("Residents' records, medication and consents", ("resident.", "admission.", "medication.", "consent.")),
    ("Care plans", ("care_plan.",)),
    ("Reviews", ("review.",)),
    ("Letters and documents", ("document.",)),
)


# Where an action's words without its details read oddly as a choice.
CHOICE_WORDS = {"consent.record": "Consent recorded", "review.invite": "Review invitation made"}


def _in_group(action: str, patterns: Sequence[str]) -> bool:
    return any(action == p or action.startswith(p if p.endswith(".") else p + ".") for p in patterns)


def action_choices() -> list[tuple[str, tuple[str, ...]]]:
    """(words, actions) for the viewer's list: the groups first, then each action in words (actions
    that read the same, e.g. a referral corrected, are one choice). Reads nothing."""
    actions = sorted(audit_words.ACTIONS)
    out = [("Records opened or looked at", tuple(a for a in actions if audit_words.is_view(a)))]
    out += [(label, tuple(a for a in actions if _in_group(a, patterns))) for label, patterns in GROUPS]
    by_words: dict[str, list[str]] = {}
    for a in actions:
        by_words.setdefault(CHOICE_WORDS.get(a) or audit_words.describe(a, {}).what, []).append(a)
    out += [(words, tuple(acts)) for words, acts in sorted(by_words.items(), key=lambda kv: kv[0].lower())]
    return out


# -- checking the filter -------------------------------------------------------------------------
def check_filter(f: AuditFilter, today: date) -> None:
    errors: dict[str, str] = {}
    if f.actor_id is not None and len(f.actor_id) > 36:
        errors["actor_id"] = "Choose the person from the list."
    if f.resident is not None and len(f.resident) > 100:
        errors["resident"] = "Type a resident's reference or name of at most 100 characters."
    if len(f.actions) > 200 or any(len(a) > 64 for a in f.actions):
        errors["actions"] = "Choose the action from the list."
    for name, label, d in (("date_from", "From date", f.date_from), ("date_to", "To date", f.date_to)):
        problem = out_of_range(label, d, EARLIEST_RECORD, today + PLANNING_HORIZON) if d is not None else None
        if problem:
            errors[name] = problem
    if not errors and f.date_from and f.date_to and f.date_to < f.date_from:
        errors["date_to"] = "The To date is before the From date."
    if errors:
        raise ValidationError(errors)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=LONDON).astimezone(UTC)


_REFERENCE = re.compile(r"^\s*(?:r\s*-?\s*)?0*(\d{1,9})\s*$", re.IGNORECASE)


def _resident_ids(s: Session, typed: str, by_name: bool) -> tuple[set[str], set[str]]:
    """Residents and referrals the typed text means: by reference or record id; by name too when
    the viewer may read records."""
    text = typed.strip()
    m = _REFERENCE.match(text)
    conds: list[ColumnElement[bool]] = [Resident.id == text]
    if m:
        conds.append(Resident.reference_no == int(m.group(1)))
    residents = set(s.scalars(select(Resident.id).where(or_(*conds)).limit(MAX_RESIDENT_MATCHES)))
    referrals: set[str] = set()
    if by_name and not residents:
        words = text.lower().split()
        residents = set(s.scalars(select(Resident.id).where(
            *[Resident.search_text.contains(w) for w in words]).limit(MAX_RESIDENT_MATCHES)))
        full = func.lower(Referral.given_name + " " + Referral.family_name)
        referrals = set(s.scalars(select(Referral.id).where(
            Referral.resident_id.is_(None), *[full.contains(w) for w in words]).limit(MAX_RESIDENT_MATCHES)))
    if residents:  # their referrals were recorded before they had a record
        referrals |= set(s.scalars(select(Referral.id).where(Referral.resident_id.in_(residents))))
    return residents, referrals


def conditions(s: Session, f: AuditFilter, by_name: bool) -> list[ColumnElement[bool]] | None:
    """The WHERE of the filter, or None when the resident typed is no one."""
    conds: list[ColumnElement[bool]] = []
    if f.actor_id:
        conds.append(AuditEntry.actor_id == f.actor_id)
    if f.actions:
        conds.append(AuditEntry.action.in_(f.actions))
    if f.date_from:
        conds.append(AuditEntry.at >= _day_start(f.date_from))
    if f.date_to:
        conds.append(AuditEntry.at < _day_start(f.date_to + timedelta(days=1)))
    if f.resident and f.resident.strip():
        residents, referrals = _resident_ids(s, f.resident, by_name)
        if not residents and not referrals:
            return None
        about: list[ColumnElement[bool]] = [AuditEntry.resident_id.in_(residents)] if residents else []
        if referrals:
            about.append(and_(AuditEntry.entity == "referral", AuditEntry.entity_id.in_(referrals)))
        conds.append(or_(*about))
    return conds


def entries(s: Session, conds: list[ColumnElement[bool]], before: int | None, limit: int) -> list[AuditEntry]:
    q = select(AuditEntry).where(*conds)
    if before is not None:
        q = q.where(AuditEntry.seq < before)
    return list(s.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit)))


def count(s: Session, conds: list[ColumnElement[bool]]) -> int:
    if not conds:  # the chain is numbered from 1 without gaps (check says so when it is not)
        return int(s.scalar(select(func.max(AuditEntry.seq))) or 0)
    return int(s.scalar(select(func.count()).select_from(AuditEntry).where(*conds)) or 0)


# -- lines in words --------------------------------------------------------------------------------
def lines(s: Session, rows: Iterable[AuditEntry], clinical: bool) -> list[AuditLine]:
    rows = list(rows)
    actor_ids = {e.actor_id for e in rows if e.actor_id}
    names: dict[str, str] = {i: n for i, n in s.execute(
        select(Account.id, Account.full_name).where(Account.id.in_(actor_ids)))} if actor_ids else {}
    # A referral's entries before admission carry no resident: its resident if admitted since,
    # else (for clinical staff) the referred person's name.
    ref_ids = {e.entity_id for e in rows if e.entity == "referral" and not e.resident_id and e.entity_id}
    referral_of: dict[str, tuple[str | None, str]] = {}
    if ref_ids:
        referral_of = {i: (rid, f"{g} {f} (referral)") for i, rid, g, f in s.execute(select(
            Referral.id, Referral.resident_id, Referral.given_name, Referral.family_name)
            .where(Referral.id.in_(ref_ids)))}
    resident_ids = {e.resident_id for e in rows if e.resident_id} | {r for r, _n in referral_of.values() if r}
    residents: dict[str, str] = {}
    if resident_ids:
        for rid, ref, given, family in s.execute(select(
                Resident.id, Resident.reference, Resident.given_name, Resident.family_name)
                .where(Resident.id.in_(resident_ids))):
            residents[rid] = f"{given} {family} ({ref})" if clinical else ref

    def about(e: AuditEntry) -> str:
        if e.resident_id:
            return residents.get(e.resident_id, "")
        rid, name = referral_of.get(e.entity_id or "", (None, ""))
        return residents.get(rid, "") if rid else (name if clinical else "")

    out = []
    for e in rows:
        area = e.action.partition(".")[0]
        private = not clinical and (area in CLINICAL_AREAS or e.resident_id is not None)
        try:
            detail = {} if private else json.loads(e.detail or "{}")
        except ValueError:
            detail = {}
        words = audit_words.describe(e.action, detail if isinstance(detail, dict) else {})
        out.append(AuditLine(e.seq, e.at, audit_words.actor_words(names.get(e.actor_id or ""), e.actor_name),
                             e.actor_name, words.what, words.details, about(e)))
    return out


def described(f: AuditFilter) -> dict[str, Any]:
    """The filter as the viewer's own audit entry keeps it: which filters, never what was typed
    (a resident's name typed by a senior must not reach an administrator's screen)."""
    used = [name for name, on in (("person", f.actor_id), ("resident", (f.resident or "").strip()),
                                  ("action", f.actions), ("dates", f.date_from or f.date_to)) if on]
    out: dict[str, Any] = {"filters": used}
    if f.date_from:
        out["from"] = f.date_from.isoformat()
    if f.date_to:
        out["to"] = f.date_to.isoformat()
    return out


# -- CSV -------------------------------------------------------------------------------------------
CSV_COLUMNS = ("Number", "When", "Who", "User name", "What", "Details", "Resident")


def _cell(text: str) -> str:
    return "'" + text if starts_like_formula(text) else text


def csv_bytes(batches: Iterable[list[AuditLine]]) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark, so a spreadsheet reads the accents; formulas neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    n = 0
    for batch in batches:
        for line in batch:
            w.writerow([str(line.seq), format_datetime(line.at), _cell(line.who), _cell(line.username),
                        _cell(line.what), _cell(line.details), _cell(line.resident)])
            n += 1
    return buf.getvalue().encode("utf-8-sig"), n

"""The read side of the caseload list (Qt-free). Two steps, as in Anki's browser: `caseload_ids`
answers "which residents, in what order" with one indexed query returning ids only (it runs on
every keystroke), and `caseload_rows` answers "what does each row show" for a batch of ids
(the table model asks for ~100 at a time as the user scrolls).

Listing the caseload is not a read of anyone's record, so it writes no audit entry; opening a
resident (`book.residents.get`) does."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from keyworker import reference_data
from keyworker import risk_domains as rd
from keyworker.clock import SystemClock, format_date, format_datetime, local_today
from keyworker.errors import ValidationError
from keyworker.input_types import typed_inputs
from keyworker.review_schedule import REVIEW_INTERVAL_DAYS
from keyworker.security.permissions import Permission

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

# The column keys a list can be sorted on (the table model maps its columns to these).
SORT_KEYS = ("name", "reference", "key_worker", "setting", "admitted", "week", "next_review", "risk", "flags")
NOT_ASSESSED = rd.NOT_ASSESSED  # the risk level of a resident without a risk assessment
BATCH = 100  # rows per `caseload_rows` call from the table model; SQLite allows 32k parameters

# Flag codes, in the order they are shown.
DECISION_OVERDUE = "decision_overdue"
PLAN_INCOMPLETE = "plan_incomplete"
REVIEW_OVERDUE = "review_overdue"
REVIEW_DUE_TODAY = "review_due_today"
RISK_REVIEW_OVERDUE = "risk_review_overdue"
DISCHARGED = "discharged"
SUMMARY_DUE = "summary_due"  # the complete summary of an unplanned discharge or freeze, within 24 hours
SUMMARY_OVERDUE = "summary_overdue"


@dataclass(frozen=True)
class CaseloadFilter:
    """What the list shows. `actor_id` is whose caseload "mine only" means."""

    text: str = ""
    mine_only: bool = False
    actor_id: str | None = None
    include_discharged: bool = False
    sort_key: str = "name"
    descending: bool = False

    def with_(self, **changes: Any) -> CaseloadFilter:
        return replace(self, **changes)

    def terms(self) -> list[str]:
        """Each word must appear somewhere in the resident's name, reference or postcode."""
        return [t for t in self.text.lower().split() if t][:8]


@dataclass(frozen=True)
class Flag:
    code: str
    text: str  # shown in the cell, always as words (never colour alone)
    detail: str  # tooltip: why, and since when


@dataclass(frozen=True)
class CaseloadRow:
    """Everything one row of the caseload shows, computed in one query per batch."""

    resident_id: str
    name: str  # "Family, Given (Preferred)"
    reference: str
    key_worker: str
    key_worker_id: str | None
    setting: str  # the label, e.g. "24-hour staffed residential"
    admitted_on: date | None
    week: int | None  # week N of the current stay (1 on the day of admission)
    planned_weeks: int | None
    discharged_on: date | None
    next_review_on: date | None
    risk_level: str = NOT_ASSESSED  # "Low" / "Medium" / "High" / "Not assessed": the overall level, in words
    flags: tuple[Flag, ...] = field(default_factory=tuple)
    setting_code: str | None = None
    part_time: bool = False  # attends part of the week: not in the unit every night
    risk_review_on: date | None = None
    risk_overdue: bool = False  # the current stay's risk review date has passed (also a flag, in words)

    @property
    def current(self) -> bool:
        return self.admitted_on is not None and self.discharged_on is None

    @property
    def week_text(self) -> str:
        if self.discharged_on is not None:
            return f"Discharged {format_date(self.discharged_on)}"
        if self.week is None or self.planned_weeks is None:
            return ""
        return f"Week {self.week} of {self.planned_weeks}"

    @property
    def flags_text(self) -> str:
        return ", ".join(f.text for f in self.flags)

    @property
    def overdue(self) -> bool:
        return any(f.code in (DECISION_OVERDUE, REVIEW_OVERDUE, PLAN_INCOMPLETE, RISK_REVIEW_OVERDUE,
                              SUMMARY_OVERDUE) for f in self.flags)


# -- SQL pieces ------------------------------------------------------------------------------
# The admission a row shows: the open one, else the latest stay.
_SHOWN_ADMISSION = """(SELECT a2.id FROM admissions a2
    WHERE a2.resident_id = r.id AND a2.archived = 0
    ORDER BY a2.discharged_on IS NULL DESC, a2.admitted_on DESC, a2.id DESC LIMIT 1)"""
# Next review due for an open admission: the next_review_on of its latest current review, else
# admitted_on + 14 days (docs/CONTRACTS.md). NULL once discharged.
_LATEST_REVIEW_NEXT = """(SELECT rv.next_review_on FROM reviews rv
      WHERE rv.admission_id = a.id AND rv.superseded_by_id IS NULL AND rv.archived = 0
      ORDER BY rv.held_on DESC, rv.id DESC LIMIT 1)"""
_NEXT_REVIEW = f"""CASE WHEN a.id IS NOT NULL AND a.discharged_on IS NULL THEN coalesce(
    {_LATEST_REVIEW_NEXT}, date(a.admitted_on, '+{REVIEW_INTERVAL_DAYS} days')) END"""
_PLAN_COMPLETE = """EXISTS (SELECT 1 FROM care_plans cp WHERE cp.admission_id = a.id
                    AND cp.status = 'complete' AND cp.archived = 0)"""
# "Plan incomplete": an open admission whose admission day is over with no complete care plan.
_PLAN_INCOMPLETE = f"""(a.id IS NOT NULL AND a.discharged_on IS NULL AND a.admitted_on < :today
    AND NOT {_PLAN_COMPLETE})"""
# A new referral for someone already known (a returning resident) with its decision overdue. The
# "+" keeps SQLite on the resident_id index: by status it would scan every open referral per row.
_DECISION_OVERDUE = """EXISTS (SELECT 1 FROM referrals rf WHERE rf.resident_id = r.id
    AND +rf.status = 'open' AND rf.archived = 0 AND +rf.decision_due_on < :today)"""
# The complete-summary deadline of the shown stay's latest unplanned discharge (or freeze), while
# that summary is not sent: one lookup on ix_discharges_admission_id. A planned discharge has its
# letter instead and never counts here.
_SUMMARY_DUE = """(SELECT CASE WHEN d.summary_sent_at IS NULL THEN d.summary_due_at END FROM discharges d
    WHERE d.admission_id = a.id AND d.path = 'unplanned' AND d.archived = 0
    ORDER BY d.occurred_at DESC, d.id DESC LIMIT 1)"""
_NAME_ORDER = "r.family_name COLLATE NOCASE, r.given_name COLLATE NOCASE, r.reference_no"
# The shown stay's risk assessment: one row per admission (unique index), level and date denormalised.
_RISK_JOIN = "LEFT JOIN risk_assessments ra ON ra.admission_id = a.id AND ra.archived = 0"
_RISK_RANK = "coalesce(CASE ra.overall_level WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END, 0)"


def _sort_sql(key: str) -> str:
    """ORDER BY expression(s) for a sort key, without the direction of the tie-breakers."""
    return {
        "name": "r.family_name COLLATE NOCASE {d}, r.given_name COLLATE NOCASE {d}, r.reference_no {d}",
        "reference": "r.reference_no {d}",
        "key_worker": "k.full_name IS NULL, k.full_name COLLATE NOCASE {d}",
        "setting": "a.setting IS NULL, a.setting {d}",
        "admitted": "a.admitted_on IS NULL, a.admitted_on {d}",
        # A later week number means an earlier admission.
        "week": "a.admitted_on IS NULL, a.discharged_on IS NOT NULL, a.admitted_on {r}",
        "next_review": f"({_NEXT_REVIEW}) IS NULL, ({_NEXT_REVIEW}) {{d}}",
        # Highest risk first when ascending; "Not assessed" last.
        "risk": f"{_RISK_RANK} {{r}}",
        # Most flags first when ascending: the list a manager wants to work down.
        "flags": f"(({_PLAN_INCOMPLETE}) + ({_DECISION_OVERDUE}) + coalesce(({_NEXT_REVIEW}) < :today, 0)"
                 f" + (({_SUMMARY_DUE}) IS NOT NULL)) {{r}}",
    }[key]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _session_of(session_or_book: Any) -> tuple[Session | None, Any]:
    if isinstance(session_or_book, Session):
        return session_or_book, None
    return None, session_or_book


def _utc_text(at: datetime) -> str:
    """An aware datetime as the UTC columns store it (naive UTC, SQLAlchemy's SQLite format)."""
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def caseload_ids(session_or_book: Session | Casebook, flt: CaseloadFilter, *, today: date | None = None) -> list[str]:
    """The ids of the residents the list shows, in display order. Ids only: fast enough to run on
    every keystroke against a 20,000-resident unit."""
    session, book = _session_of(session_or_book)
    if session is None:
        return book.caseload.ids(flt)  # type: ignore[no-any-return]
    if flt.sort_key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {flt.sort_key!r}")
    today = today or local_today(SystemClock())
    params: dict[str, Any] = {"today": today.isoformat()}
    where = ["r.archived = 0"]
    for i, term in enumerate(flt.terms()):
        where.append(f"r.search_text LIKE :t{i} ESCAPE '\\'")
        params[f"t{i}"] = _like(term)
    key = flt.sort_key
    if flt.mine_only:
        params["actor"] = flt.actor_id or ""
    # Which residents: membership tests on admissions (a small covering index answers them);
    # the admission itself is joined only when the sort needs its columns.
    open_stay = "a.discharged_on IS NULL AND a.archived = 0"
    if not flt.include_discharged:
        members = f"SELECT a.resident_id FROM admissions a WHERE {open_stay}"
        if flt.mine_only:
            members += " AND a.key_worker_id = :actor"
        # Scanning the covering caseload index (migration 0004; in name order, ~600 pages for
        # 20,000) and testing membership beats looking each open stay's resident up by id (a
        # table page, decrypted, each); the unary "+" stops SQLite choosing the lookups.
        where.append(f"+r.id IN ({members})")
    elif flt.mine_only:
        # With discharged residents, "mine" is everyone I am or was key worker for.
        where.append("r.id IN (SELECT a.resident_id FROM admissions a WHERE a.key_worker_id = :actor "
                     "AND a.archived = 0)")
    joins = ""
    if key not in ("name", "reference"):
        joins = (f"LEFT JOIN admissions a ON a.id = {_SHOWN_ADMISSION}" if flt.include_discharged else
                 f"JOIN admissions a ON a.resident_id = r.id AND {open_stay}")
        if key == "key_worker":
            joins += " LEFT JOIN accounts k ON k.id = a.key_worker_id"
        elif key == "risk":
            joins += " " + _RISK_JOIN
    d, r = ("DESC", "ASC") if flt.descending else ("ASC", "DESC")
    order = _sort_sql(key).format(d=d, r=r)
    tail = "" if key == "name" else ", " + _NAME_ORDER
    sql = f"SELECT r.id FROM residents r {joins} WHERE {' AND '.join(where)} ORDER BY {order}{tail}"
    # The DB-API cursor directly: for 20,000 ids SQLAlchemy's row objects cost twice the query
    # itself and, being many small tracked objects, set off the garbage collector.
    cursor = session.connection().connection.driver_connection.execute(sql, params)  # type: ignore[union-attr]
    ids = [row[0] for row in cursor]
    if flt.include_discharged:
        return ids
    return list(dict.fromkeys(ids))  # defensive: two open stays must not show a resident twice


_ROWS_SQL_TEXT = f"""
SELECT r.id, r.given_name, r.family_name, r.preferred_name, r.reference,
       a.id AS admission_id, a.admitted_on, a.setting, a.planned_weeks, a.discharged_on,
       a.key_worker_id, k.full_name AS key_worker, a.part_time,
       {_NEXT_REVIEW} AS next_review_on,
       {_PLAN_INCOMPLETE} AS plan_incomplete,
       {_DECISION_OVERDUE} AS decision_overdue,
       ra.overall_level AS risk_level, ra.review_on AS risk_review_on,
       {_SUMMARY_DUE} AS summary_due_at
FROM residents r
LEFT JOIN admissions a ON a.id = {_SHOWN_ADMISSION}
LEFT JOIN accounts k ON k.id = a.key_worker_id
{_RISK_JOIN}
WHERE r.id IN :ids
"""
_ROWS_SQL = text(_ROWS_SQL_TEXT).bindparams(bindparam("ids", expanding=True))


def caseload_rows(session: Session, ids: list[str], *, today: date | None = None,
                  now: datetime | None = None) -> list[CaseloadRow]:
    """The rows for these ids, in the same order (ids that no longer exist are left out). `now`
    (aware) places the complete-summary deadlines; by default the system clock."""
    if not ids:
        return []
    now = now or SystemClock().now()
    today = today or local_today(SystemClock())
    found: dict[str, CaseloadRow] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        for m in session.execute(_ROWS_SQL, {"ids": chunk, "today": today.isoformat()}).mappings():
            found[m["id"]] = _row(m, today, now)
    return [found[i] for i in ids if i in found]


def _d(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _summary_flag(due: datetime, now: datetime) -> Flag:
    """The 24-hour countdown of the complete discharge summary, as the record and Today show it."""
    if due <= now:
        late = int((now - due).total_seconds() // 3600)
        ago = f", {late} h ago" if late >= 1 else ""
        return Flag(SUMMARY_OVERDUE, "Summary overdue",
                    f"The complete discharge summary was due by {format_datetime(due)} (UK time){ago}.")
    hours = max(1, math.ceil((due - now).total_seconds() / 3600))
    return Flag(SUMMARY_DUE, f"Summary due in {hours} h",
                f"The complete discharge summary is due by {format_datetime(due)} (UK time).")


def _row(m: Any, today: date, now: datetime | None = None) -> CaseloadRow:
    name = f"{m['family_name']}, {m['given_name']}"
    if m["preferred_name"]:
        name += f" ({m['preferred_name']})"
    admitted, discharged, next_review = _d(m["admitted_on"]), _d(m["discharged_on"]), _d(m["next_review_on"])
    week = None
    if admitted is not None and discharged is None:
        week = max(1, (today - admitted).days // 7 + 1)
    flags: list[Flag] = []
    if m["decision_overdue"]:
        flags.append(Flag(DECISION_OVERDUE, "Decision overdue",
                          "A referral for this resident has passed its 5-working-day decision date."))
    if m["plan_incomplete"]:
        flags.append(Flag(PLAN_INCOMPLETE, "Plan incomplete",
                          f"The care plan was due on admission ({format_date(admitted)}) and is not complete."))
    if next_review is not None and next_review < today:
        days = (today - next_review).days
        flags.append(Flag(REVIEW_OVERDUE, "Review overdue",
                          f"The review was due on {format_date(next_review)}, {days} day{'s' * (days != 1)} ago."))
    elif next_review is not None and next_review == today:
        flags.append(Flag(REVIEW_DUE_TODAY, "Review due today", "A review is due today."))
    risk_review = _d(m["risk_review_on"])
    risk_overdue = admitted is not None and discharged is None and risk_review is not None and risk_review < today
    if risk_overdue:
        assert risk_review is not None
        days = (today - risk_review).days
        flags.append(Flag(RISK_REVIEW_OVERDUE, "Risk review overdue",
                          f"The risk review was due on {format_date(risk_review)}, {days} day{'s' * (days != 1)} ago."))
    summary_due = _utc(m["summary_due_at"])
    if summary_due is not None:
        flags.append(_summary_flag(summary_due, now or SystemClock().now()))
    if discharged is not None:
        flags.append(Flag(DISCHARGED, "Discharged", f"Discharged on {format_date(discharged)}."))
    return CaseloadRow(
        resident_id=m["id"], name=name, reference=m["reference"], key_worker=m["key_worker"] or "",
        key_worker_id=m["key_worker_id"],
        setting=reference_data.label(reference_data.settings(), m["setting"]) if m["setting"] else "",
        admitted_on=admitted, week=week, planned_weeks=m["planned_weeks"], discharged_on=discharged,
        next_review_on=next_review, flags=tuple(flags), setting_code=m["setting"],
        part_time=bool(m["part_time"]) and discharged is None,
        risk_level=rd.level_label(m["risk_level"]), risk_review_on=risk_review, risk_overdue=risk_overdue,
    )


class CaseloadService:
    """`book.caseload`: the caseload list for the table model (see the module docstring)."""

    def __init__(self, book: Casebook) -> None:
        self._book = book

    def filter(self, **kwargs: Any) -> CaseloadFilter:
        """A filter for the signed-in user ("mine only" means their caseload). Open: reads nothing."""
        return CaseloadFilter(actor_id=self._book.actor.id, **kwargs)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def ids(self, flt: CaseloadFilter) -> list[str]:
        if flt.sort_key not in SORT_KEYS:
            raise ValidationError({"sort_key": "Choose a column to sort the caseload by."})
        if flt.mine_only and flt.actor_id is None:
            flt = flt.with_(actor_id=self._book.actor.id)
        with self._book._read() as s:
            return caseload_ids(s, flt, today=local_today(self._book.clock))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def rows(self, ids: list[str]) -> list[CaseloadRow]:
        with self._book._read() as s:
            return caseload_rows(s, ids, today=local_today(self._book.clock), now=self._book.clock.now())

"""Follow-ups after a completed programme (`book.follow_ups`, issue 13; specification 4.1.8): the
3- and 6-month follow-ups that `keyworker.follow_ups_schedule.schedule` adds with a completed
discharge, the tries at reaching the person (method, when, reached or not, what happened) and the
status at follow-up: done (abstinent / reduced use / relapsed), not contactable (only after at
least one try) or declined. `completion(start, end)` gives the rates for the follow-ups due in a
period, split by 3 and 6 months, with the outcomes (the returns to the Authority use it).

Who: the key worker reaches their former resident (`record_key_work`, key workers and seniors;
out-of-hours staff do not: docs/PERMISSIONS.md says why). Anyone who reads residents sees the due
list; the rates are a report (`view_reports`). No Qt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker.clock import LONDON, format_date, local_today
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import Discharge, FollowUp, FollowUpAttempt
from keyworker.db.foundation import Account
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

METHODS: tuple[ref.Option, ...] = (
    ref.Option("phone", "Phone"),
    ref.Option("text", "Text message"),
    ref.Option("secure_email", "Secure email"),
    ref.Option("letter", "Letter"),
    ref.Option("in_person", "In person"),
)
METHOD_LABELS = {o.code: o.label for o in METHODS}
# What a follow-up can be closed as (its status stays "due" until then).
CLOSING_STATUSES: tuple[ref.Option, ...] = (
    ref.Option("done", "Done: reached"),
    ref.Option("not_contactable", "Not contactable"),
    ref.Option("declined", "Declined"),
)
STATUS_LABELS = {"due": "Due", "done": "Done", "not_contactable": "Not contactable", "declined": "Declined"}
OUTCOMES: tuple[ref.Option, ...] = (
    ref.Option("abstinent", "Abstinent"),
    ref.Option("reduced_use", "Reduced use"),
    ref.Option("relapsed", "Relapsed"),
)
OUTCOME_LABELS = {o.code: o.label for o in OUTCOMES}
SCOPES = ("unit", "mine")
NOTE_MAX = 4000
FUTURE_DAYS_MAX = 366


# -- what the service returns -------------------------------------------------------------------
@dataclass(frozen=True)
class FollowUpRow:
    """A line of the due list: whose, which, when, and how the tries have gone so far."""

    id: str
    resident_id: str
    resident_name: str
    reference: str
    key_worker_id: str | None
    key_worker_name: str
    months: int
    due_on: date
    discharged_on: date
    attempts: int
    last_attempt_at: datetime | None
    last_attempt_method: str | None
    last_attempt_reached: bool | None
    days_overdue: int  # 0 when not overdue

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def label(self) -> str:
        return f"{self.months}-month follow-up"

    @property
    def last_attempt_text(self) -> str:
        """"None yet" or "Phone 12/04/2026, not reached"."""
        if self.last_attempt_at is None:
            return "None yet"
        how = METHOD_LABELS.get(self.last_attempt_method or "", "Other")
        return f"{how} {format_date(self.last_attempt_at)}, " + ("reached" if self.last_attempt_reached
                                                                 else "not reached")


@dataclass(frozen=True)
class AttemptView:
    id: str
    at: datetime
    method: str
    reached: bool
    note: str | None
    by_name: str

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, "Other")


@dataclass(frozen=True)
class FollowUpView:
    id: str
    discharge_id: str
    admission_id: str
    resident_id: str
    months: int
    due_on: date
    discharged_on: date
    status: str  # due / done / not_contactable / declined
    outcome: str | None  # abstinent / reduced_use / relapsed, when done
    completed_on: date | None
    note: str | None
    attempts: tuple[AttemptView, ...]
    overdue: bool

    @property
    def label(self) -> str:
        return f"{self.months}-month follow-up"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, "Recorded")

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "")

    @property
    def open(self) -> bool:
        return self.status == "due"

    @property
    def summary(self) -> str:
        """"Due 05/07/2026 (overdue)", "Done 10/07/2026: Abstinent", "Not contactable 12/07/2026"."""
        if self.open:
            return f"Due {format_date(self.due_on)}" + (" (overdue)" if self.overdue else "")
        text = f"{self.status_label} {format_date(self.completed_on)}"
        return f"{text}: {self.outcome_label}" if self.outcome else text


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


@dataclass(frozen=True)
class FollowUpTally:
    """Counts for the follow-ups due in a period: all of them (`months` None) or the 3- or 6-month ones."""

    months: int | None
    due: int
    done: int
    not_contactable: int
    declined: int
    open: int  # not closed yet
    abstinent: int
    reduced_use: int
    relapsed: int

    # Percentages of those due (None when none were due), to one decimal place.
    @property
    def done_pct(self) -> float | None:
        return _pct(self.done, self.due)

    @property
    def not_contactable_pct(self) -> float | None:
        return _pct(self.not_contactable, self.due)

    @property
    def declined_pct(self) -> float | None:
        return _pct(self.declined, self.due)

    @property
    def open_pct(self) -> float | None:
        return _pct(self.open, self.due)

    # Outcomes as percentages of those reached (done).
    @property
    def abstinent_pct(self) -> float | None:
        return _pct(self.abstinent, self.done)

    @property
    def reduced_use_pct(self) -> float | None:
        return _pct(self.reduced_use, self.done)

    @property
    def relapsed_pct(self) -> float | None:
        return _pct(self.relapsed, self.done)


@dataclass(frozen=True)
class FollowUpRates:
    start: date
    end: date
    total: FollowUpTally
    by_months: tuple[FollowUpTally, ...]  # 3 then 6

    def months(self, m: int) -> FollowUpTally:
        return next(t for t in self.by_months if t.months == m)


# -- the service ----------------------------------------------------------------------------------
class FollowUpService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # reading ----------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due(self, on: date | str | None = None, include_future_days: int = 14, *,
            scope: str = "unit") -> list[FollowUpRow]:
        """Follow-ups not closed yet that are due on or before `on` (today, UK) plus
        `include_future_days`: the most overdue first, then the soonest. `scope` "mine" limits
        them to the signed-in key worker's former residents (as Reviews due does; seniors see the
        whole unit). A list of rows: opening one (`for_resident`) is the audited read."""
        c = Cleaner({"on": on, "include_future_days": include_future_days, "scope": scope})
        c.date("on", "Date")
        c.integer("include_future_days", "Days ahead", required=True, low=0, high=FUTURE_DAYS_MAX)
        c.listed("scope", "Whose", SCOPES, required=True)
        if c.errors:
            raise ValidationError(c.errors)
        today = c.values["on"] or local_today(self._book.clock)
        horizon = today + timedelta(days=c.values["include_future_days"])
        q = (select(FollowUp, Resident, Admission.key_worker_id, Discharge.occurred_at)
             .join(Resident, Resident.id == FollowUp.resident_id)
             .join(Admission, Admission.id == FollowUp.admission_id)
             .join(Discharge, Discharge.id == FollowUp.discharge_id)
             .where(FollowUp.archived.is_(False), FollowUp.status == "due", FollowUp.due_on <= horizon)
             .order_by(FollowUp.due_on, Resident.family_name, Resident.given_name, FollowUp.months))
        if c.values["scope"] == "mine":
            q = q.where(Admission.key_worker_id == self._book.actor.id)
        with self._book._read() as s:
            rows = s.execute(q).tuples().all()
            workers = dict(s.execute(select(Account.id, Account.full_name)).tuples().all())
            tries = self._attempt_summaries(s, [f.id for f, *_ in rows])
        out = []
        for f, r, worker, occurred in rows:
            n, last = tries.get(f.id, (0, None))
            out.append(FollowUpRow(
                f.id, r.id, _name(r), r.reference, worker, workers.get(worker or "", ""), f.months, f.due_on,
                occurred.astimezone(LONDON).date(), n, last.at if last else None, last.method if last else None,
                last.reached if last else None, max(0, (today - f.due_on).days)))
        return out

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str) -> list[FollowUpView]:
        """The resident's follow-ups with every try at reaching them, soonest due first. Audited."""
        with self._book._write() as s:
            if s.get(Resident, resident_id) is None:
                raise NotFound("That resident does not exist.")
            rows = s.scalars(select(FollowUp).where(FollowUp.resident_id == resident_id,
                                                   FollowUp.archived.is_(False))
                             .order_by(FollowUp.due_on, FollowUp.months)).all()
            self._book._record(s, "follow_up.history", "resident", resident_id, resident_id=resident_id)
            return [self._view(s, f) for f in rows]

    @typed_inputs(requires=Permission.VIEW_REPORTS)
    def completion(self, start: date | str, end: date | str) -> FollowUpRates:
        """For the follow-ups due from `start` to `end` (both included): how many were due, done,
        not contactable, declined and still open, with percentages; the same for the 3- and the
        6-month ones; and the outcomes of those reached. Numbers only, no resident: not audited."""
        c = Cleaner({"start": start, "end": end})
        c.date("start", "From", required=True)
        c.date("end", "To", required=True)
        if not c.errors and c.values["end"] < c.values["start"]:
            c.error("end", "The end date is before the start date.")
        if c.errors:
            raise ValidationError(c.errors)
        lo, hi = c.values["start"], c.values["end"]
        with self._book._read() as s:
            rows = s.execute(select(FollowUp.months, FollowUp.status, FollowUp.outcome, func.count())
                             .where(FollowUp.archived.is_(False), FollowUp.due_on >= lo, FollowUp.due_on <= hi)
                             .group_by(FollowUp.months, FollowUp.status, FollowUp.outcome)).tuples().all()

        def tally(months: int | None) -> FollowUpTally:
            mine = [(st, oc, int(n)) for m, st, oc, n in rows if months is None or m == months]

            def count(status: str | None = None, outcome: str | None = None) -> int:
                return sum(n for st, oc, n in mine if (status is None or st == status)
                           and (outcome is None or (st == "done" and oc == outcome)))

            return FollowUpTally(months, count(), count("done"), count("not_contactable"), count("declined"),
                                 count("due"), count(outcome="abstinent"), count(outcome="reduced_use"),
                                 count(outcome="relapsed"))

        return FollowUpRates(lo, hi, tally(None), (tally(3), tally(6)))

    def counts(self, session: Session) -> dict[str, Any]:
        """For `check --json`: follow-ups due on or before today (UK) and not closed."""
        today = local_today(self._book.clock)
        n = session.scalar(select(func.count()).select_from(FollowUp).where(
            FollowUp.archived.is_(False), FollowUp.status == "due", FollowUp.due_on <= today)) or 0
        return {"follow_ups_due": int(n)}

    # recording --------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record_attempt(self, follow_up_id: str, method: str, at: datetime | str | None, reached: bool,
                       note: str | None = None) -> FollowUpView:
        """One try at reaching the person: how, when, whether they were reached and what happened.
        Append-only; audited (method and whether reached, never the note)."""
        book = self._book
        c = Cleaner({"method": method, "at": at, "note": note})
        c.choice("method", "How", METHODS, required=True)
        c.datetime("at", "When", required=True, not_after=book.clock.now() + timedelta(minutes=5))
        c.text("note", "What happened", max_len=NOTE_MAX)
        if c.errors:
            raise ValidationError(c.errors)
        v = c.values
        with book._write() as s:
            f = self._load(s, follow_up_id)
            if f.status != "due":
                raise ValidationError({"follow_up": self._closed_words(f)})
            d = s.get(Discharge, f.discharge_id)
            if d is not None and v["at"] < d.occurred_at:
                raise ValidationError({"at": "This is before the discharge "
                                             f"({format_date(d.occurred_at)}): choose when you tried."})
            a = FollowUpAttempt(follow_up_id=f.id, at=v["at"], method=v["method"], reached=reached,
                                note=v["note"])
            s.add(a)
            s.flush([a])
            book._record(s, "follow_up.attempt", "follow_up", f.id, resident_id=f.resident_id,
                         detail={"months": f.months, "method": a.method, "reached": a.reached})
            return self._view(s, f)

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record_outcome(self, follow_up_id: str, status: str, outcome: str | None = None,
                       note: str | None = None, completed_on: date | str | None = None) -> FollowUpView:
        """Close a follow-up: done (reached, with how they are: abstinent, reduced use or
        relapsed), not contactable (only after at least one try is recorded) or declined.
        `completed_on` is today unless given. Audited (status and outcome, never the note)."""
        book = self._book
        today = local_today(book.clock)
        c = Cleaner({"status": status, "outcome": outcome, "note": note, "completed_on": completed_on})
        c.choice("status", "Status at follow-up", CLOSING_STATUSES, required=True)
        c.choice("outcome", "How they are", OUTCOMES)
        c.text("note", "Note", max_len=NOTE_MAX)
        c.date("completed_on", "Date", not_after=today)
        if c.errors:
            raise ValidationError(c.errors)
        v = c.values
        if v["status"] == "done" and not v["outcome"]:
            raise ValidationError({"outcome": "Say how they are at follow-up: abstinent, reduced use or relapsed."})
        if v["status"] != "done" and v["outcome"]:
            raise ValidationError({"outcome": "How they are is recorded only when they were reached: "
                                              "choose “Done: reached”, or leave it blank."})
        on = v["completed_on"] or today
        with book._write() as s:
            f = self._load(s, follow_up_id)
            if f.status != "due":
                raise ValidationError({"status": self._closed_words(f)})
            d = s.get(Discharge, f.discharge_id)
            if d is not None and on < d.occurred_at.astimezone(LONDON).date():
                raise ValidationError({"completed_on": "This is before the discharge "
                                                       f"({format_date(d.occurred_at)})."})
            tries = s.scalar(select(func.count()).select_from(FollowUpAttempt).where(
                FollowUpAttempt.follow_up_id == f.id, FollowUpAttempt.archived.is_(False))) or 0
            if v["status"] == "not_contactable" and not tries:
                raise ValidationError({"status": "Record at least one try at reaching them (how and when) "
                                                 "before marking them not contactable."})
            f.status, f.outcome, f.completed_on, f.note = v["status"], v["outcome"], on, v["note"]
            s.flush([f])
            book._record(s, "follow_up.outcome", "follow_up", f.id, resident_id=f.resident_id,
                         detail={"months": f.months, "status": f.status, "outcome": f.outcome})
            return self._view(s, f)

    # inside -----------------------------------------------------------------------------------
    def _load(self, s: Session, follow_up_id: str) -> FollowUp:
        f = s.get(FollowUp, follow_up_id)
        if f is None or f.archived:
            raise NotFound("That follow-up does not exist.")
        return f

    @staticmethod
    def _closed_words(f: FollowUp) -> str:
        return (f"This {f.months}-month follow-up was already recorded as "
                f"{STATUS_LABELS.get(f.status, f.status).lower()} on {format_date(f.completed_on)}.")

    def _attempt_summaries(self, s: Session, ids: list[str]) -> dict[str, tuple[int, FollowUpAttempt | None]]:
        out: dict[str, tuple[int, FollowUpAttempt | None]] = {}
        for i in range(0, len(ids), 900):
            for a in s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.follow_up_id.in_(ids[i:i + 900]),
                                                             FollowUpAttempt.archived.is_(False))
                               .order_by(FollowUpAttempt.at, FollowUpAttempt.created_at)):
                n, _last = out.get(a.follow_up_id, (0, None))
                out[a.follow_up_id] = (n + 1, a)
        return out

    def _view(self, s: Session, f: FollowUp) -> FollowUpView:
        from keyworker.residents import account_names

        names = account_names(s)
        d = s.get(Discharge, f.discharge_id)
        attempts = tuple(AttemptView(a.id, a.at, a.method, a.reached, a.note, names.get(a.created_by or "", ""))
                         for a in s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.follow_up_id == f.id,
                                                                          FollowUpAttempt.archived.is_(False))
                                            .order_by(FollowUpAttempt.at, FollowUpAttempt.created_at)))
        discharged = d.occurred_at.astimezone(LONDON).date() if d is not None else f.due_on
        return FollowUpView(f.id, f.discharge_id, f.admission_id, f.resident_id, f.months, f.due_on, discharged,
                            f.status, f.outcome, f.completed_on, f.note, attempts,
                            f.status == "due" and f.due_on < local_today(self._book.clock))


def _name(r: Resident) -> str:
    return f"{r.given_name} {r.family_name}"


__all__ = ["AttemptView", "FollowUpRates", "FollowUpRow", "FollowUpService", "FollowUpTally", "FollowUpView",
           "METHODS", "CLOSING_STATUSES", "OUTCOMES"]

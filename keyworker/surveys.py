"""Satisfaction surveys (`book.surveys`, contract 11.1.12; issue 14 part Q1).

A survey is asked of the resident, and of a carer or family member (named, with how they are
related), at least once a year. Each answers a few questions from 1 (not at all) to 5 (very much),
in our own short words (RATINGS), and may leave free comments. A question may be left unanswered
(a carer cannot say whether the resident was helped towards their goals): at least one must be
answered. The survey belongs to the stay it is about: the stay covering its date, or the latest
stay before it (a survey at or just after leaving is about that stay).

Due (`due`), decided here (docs/OUTCOMES.md says the same): for each resident staying now,
a resident survey is due
- yearly: 12 months after the latest resident survey (of any stay), or 12 months after admission
  when there is none; and
- before a planned discharge: once the stay has a discharge plan, if the resident has given no
  survey during this stay, one is due by the planned discharge date (or now, if the plan has no
  date), so every planned leaver is asked at least once however short the stay.
Rows due within 28 days, or overdue, are listed. Carers' surveys are asked when the carer is in
touch and are not listed as due (the unit cannot know every carer).

Key workers and seniors record (record_key_work: the survey is done with the resident); whoever
reads records reads the history; every read is audited."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker.clock import format_date, local_today
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import DischargePlan
from keyworker.db.surveys import Survey
from keyworker.errors import NotFound, ValidationError
from keyworker.follow_ups_schedule import add_months
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

# (column, our own short words). Kept short: a unit may ask its own wording on paper.
RATINGS: tuple[tuple[str, str], ...] = (
    ("listened", "Felt listened to"),
    ("respected", "Treated with respect"),
    ("goals", "Helped towards my goals"),
    ("recommend", "Would recommend"),
    ("overall", "Overall"),
)
RATING_LABELS = dict(RATINGS)
RATING_WORDS = {1: "Not at all", 2: "A little", 3: "Somewhat", 4: "Mostly", 5: "Very much"}
RESPONDENTS: tuple[ref.Option, ...] = (
    ref.Option("resident", "Resident"),
    ref.Option("carer", "Carer or family member"),
)
RESPONDENT_LABELS = {o.code: o.label for o in RESPONDENTS}
EVERY_MONTHS = 12
DUE_SOON_DAYS = 28
COMMENTS_MAX = 4000


@dataclass(frozen=True)
class SurveyInput:
    resident_id: str
    respondent: str = "resident"  # resident / carer (a code or label of RESPONDENTS)
    taken_on: date | str | None = None  # None = today
    respondent_name: str = ""  # a carer's or family member's name (required for a carer)
    relationship: str = ""  # how they are related to the resident (required for a carer)
    listened: int | None = None  # 1..5, None = not answered
    respected: int | None = None
    goals: int | None = None
    recommend: int | None = None
    overall: int | None = None
    comments: str = ""
    completed_by: str = ""  # who took the survey; "" = the signed-in user


@dataclass(frozen=True)
class SurveyView:
    id: str
    resident_id: str
    admission_id: str
    taken_on: date
    respondent: str
    respondent_name: str
    relationship: str
    ratings: tuple[tuple[str, str, int | None], ...]  # (key, label, 1..5 or None), in RATINGS order
    comments: str
    completed_by: str
    recorded_at: datetime
    recorded_by_name: str

    @property
    def respondent_label(self) -> str:
        """"Resident", or "Mary Doe (mother)"."""
        if self.respondent == "carer":
            rel = f" ({self.relationship.lower()})" if self.relationship else ""
            return f"{self.respondent_name or 'Carer or family member'}{rel}"
        return "Resident"

    def rating(self, key: str) -> int | None:
        return next((v for k, _l, v in self.ratings if k == key), None)

    @property
    def mean(self) -> float | None:
        given = [v for _k, _l, v in self.ratings if v is not None]
        return round(sum(given) / len(given), 2) if given else None


@dataclass(frozen=True)
class SurveyDue:
    """A resident survey due for someone staying now (rows only)."""

    resident_id: str
    admission_id: str
    resident_name: str
    reference: str
    key_worker_id: str
    due_on: date
    reason: str  # "yearly" / "before_discharge"
    last_on: date | None  # their latest resident survey
    overdue: bool

    @property
    def text(self) -> str:
        why = ("before the planned discharge" if self.reason == "before_discharge"
               else "yearly" if self.last_on else "yearly, none yet")
        return f"Satisfaction survey {'was due' if self.overdue else 'due'} {format_date(self.due_on)} ({why})"


def survey_due_on(admitted_on: date, last_on: date | None, plan_exists: bool, planned_date: date | None,
                  surveyed_this_stay: bool, today: date) -> tuple[date, str]:
    """(due date, reason) for a stay staying now (pure; rules in the module's docstring)."""
    yearly = add_months(last_on or admitted_on, EVERY_MONTHS)
    if plan_exists and not surveyed_this_stay:
        by = planned_date or today
        if by < yearly:
            return by, "before_discharge"
    return yearly, "yearly"


class SurveyService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return local_today(self._book.clock)

    def _clean(self, data: SurveyInput | Mapping[str, Any]) -> dict[str, Any]:
        fields = dict(form_fields(data))
        today = self._today()
        if fields.get("taken_on") in (None, ""):
            fields["taken_on"] = today
        c = Cleaner(fields)
        c.text("resident_id", "Resident", required=True, max_len=36)
        c.choice("respondent", "Who answered", RESPONDENTS, required=True)
        c.date("taken_on", "Date of the survey", required=True)
        if isinstance(c.values.get("taken_on"), date) and c.values["taken_on"] > today:
            del c.values["taken_on"]
            c.error("taken_on", "The date of the survey cannot be in the future.")
        c.text("respondent_name", "Name of the carer or family member", max_len=200)
        c.text("relationship", "Relationship to the resident", max_len=60)
        c.text("comments", "Comments", max_len=COMMENTS_MAX)
        c.text("completed_by", "Completed by", max_len=200)
        for key, label in RATINGS:
            raw = fields.get(key)
            if raw is None or raw == "":
                c.values[key] = None
            elif isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
                c.error(key, f"{label}: the rating must be a whole number from 1 to 5, or left unanswered.")
            else:
                c.values[key] = raw
        if not c.errors.keys() & {k for k, _l in RATINGS} and all(c.values.get(k) is None for k, _l in RATINGS):
            c.error("overall", "Answer at least one question (1 to 5).")
        if c.values.get("respondent") == "carer":
            if not c.values.get("respondent_name"):
                c.error("respondent_name", "Give the name of the carer or family member who answered.")
            if not c.values.get("relationship"):
                c.error("relationship", "Say how they are related to the resident (for example: mother, partner).")
        elif c.values.get("respondent") == "resident":
            for k in ("respondent_name", "relationship"):
                if c.values.get(k):
                    c.error(k, "A name and relationship are given only for a carer or family member.")
        if c.errors:
            raise ValidationError(c.errors)
        c.values["completed_by"] = c.values.get("completed_by") or self._book.actor.full_name
        return c.values

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record(self, data: SurveyInput) -> SurveyView:
        """A survey from the resident or a carer or family member (audited `survey.record`, with
        who answered but never a name or a rating)."""
        v = self._clean(data)
        with self._book._write() as s:
            res = s.get(Resident, v["resident_id"])
            if res is None or res.archived:
                raise NotFound("That resident does not exist.")
            on: date = v["taken_on"]
            stay = s.scalars(select(Admission).where(
                Admission.resident_id == res.id, Admission.archived.is_(False), Admission.admitted_on <= on)
                .order_by(Admission.admitted_on.desc())).first()
            if stay is None:
                raise ValidationError({"taken_on": f"The resident was not yet admitted on {format_date(on)}: a "
                                                   "survey is about a stay, from the admission date on."})
            x = Survey(resident_id=res.id, admission_id=stay.id, taken_on=on, respondent=v["respondent"],
                       respondent_name=v.get("respondent_name"), relationship=v.get("relationship"),
                       comments=v.get("comments"), completed_by=v["completed_by"],
                       **{k: v[k] for k, _l in RATINGS})
            s.add(x)
            s.flush([x])
            self._book._record(s, "survey.record", "survey", x.id, resident_id=res.id,
                               detail={"taken_on": on.isoformat(), "respondent": x.respondent})
            return self._views(s, [x])[0]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str) -> list[SurveyView]:
        """The resident's surveys and their carers', newest first (audited `survey.history`)."""
        with self._book._write() as s:
            res = s.get(Resident, resident_id)
            if res is None or res.archived:
                raise NotFound("That resident does not exist.")
            rows = list(s.scalars(select(Survey).where(Survey.resident_id == resident_id, Survey.archived.is_(False))
                                  .order_by(Survey.taken_on.desc(), Survey.created_at.desc())))
            self._book._record(s, "survey.history", "resident", resident_id, resident_id=resident_id)
            return self._views(s, rows)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due(self, scope: str = "unit", resident_id: str | None = None) -> list[SurveyDue]:
        """Resident surveys overdue or due within 4 weeks for residents staying now, soonest first:
        `scope` "unit" everyone, "mine" the signed-in user's residents; `resident_id` only that
        resident (the record's Surveys page). Audited `survey.due`, with the count."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose your residents or the whole unit."},
                                  "Choose your residents or the whole unit.")
        today = self._today()
        with self._book._write() as s:
            rows = self._due(s, today, self._book.actor.id if scope == "mine" else None, resident_id)
            if resident_id:
                self._book._record(s, "survey.due", "resident", resident_id, resident_id=resident_id,
                                   detail={"rows": len(rows)})
            else:
                self._book._record(s, "survey.due", "survey", None, detail={"rows": len(rows), "scope": scope})
            return rows

    def _due(self, s: Session, today: date, key_worker_id: str | None,
             resident_id: str | None = None) -> list[SurveyDue]:
        q = (select(Admission.id, Admission.resident_id, Admission.key_worker_id, Admission.admitted_on,
                    Resident.given_name, Resident.preferred_name, Resident.family_name, Resident.reference)
             .join(Resident, Resident.id == Admission.resident_id)
             .where(Admission.archived.is_(False), Admission.discharged_on.is_(None), Resident.archived.is_(False)))
        if key_worker_id:
            q = q.where(Admission.key_worker_id == key_worker_id)
        if resident_id:
            q = q.where(Admission.resident_id == resident_id)
        stays = s.execute(q).all()
        if not stays:
            return []
        # Only the residents and stays listed (one resident for the record's page).
        mine_s: list[ColumnElement[bool]] = [Survey.respondent == "resident", Survey.archived.is_(False)]
        mine_p: list[ColumnElement[bool]] = [DischargePlan.archived.is_(False)]
        if resident_id:
            mine_s.append(Survey.resident_id == resident_id)
            mine_p.append(DischargePlan.resident_id == resident_id)
        last: dict[str, date] = dict(s.execute(select(Survey.resident_id, func.max(Survey.taken_on))
                                               .where(*mine_s).group_by(Survey.resident_id)).tuples().all())
        in_stay = {a for (a,) in s.execute(select(Survey.admission_id).where(*mine_s).distinct())}
        plans: dict[str, date | None] = dict(s.execute(select(DischargePlan.admission_id, DischargePlan.planned_date)
                                                       .where(*mine_p)).tuples().all())
        soon = today + timedelta(days=DUE_SOON_DAYS)
        out = []
        for a in stays:
            last_on = last.get(a.resident_id)
            due_on, reason = survey_due_on(a.admitted_on, last_on, a.id in plans, plans.get(a.id),
                                           a.id in in_stay, today)
            if due_on <= soon:
                name = f"{a.preferred_name or a.given_name} {a.family_name}"
                out.append(SurveyDue(a.resident_id, a.id, name, a.reference, a.key_worker_id, due_on, reason,
                                     last_on, due_on < today))
        return sorted(out, key=lambda r: (r.due_on, r.resident_name))

    def _views(self, s: Session, rows: list[Survey]) -> list[SurveyView]:
        from keyworker.residents import account_names

        names = account_names(s) if rows else {}
        return [SurveyView(x.id, x.resident_id, x.admission_id, x.taken_on, x.respondent, x.respondent_name or "",
                           x.relationship or "", tuple((k, label, getattr(x, k)) for k, label in RATINGS),
                           x.comments or "", x.completed_by, x.created_at, names.get(x.created_by or "", ""))
                for x in rows]

    def counts(self, session: Session) -> dict[str, Any]:
        since = self._today() - timedelta(days=365)
        n = session.scalar(select(func.count()).select_from(Survey).where(
            Survey.archived.is_(False), Survey.taken_on > since))
        return {"surveys_12m": int(n or 0)}

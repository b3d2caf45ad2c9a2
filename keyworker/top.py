"""The Treatment Outcomes Profile (`book.top`, issue 14 part O2; contract 11.1.4–11.1.12).

A TOP is an interview at four stages of a stay: start (within the first 14 days of admission), a
review (at the mid-way review and at least every 6 months), exit (at discharge: planned, or
unplanned where possible) and post-treatment exit (at the 6-month follow-up). It records the past
28 days: substance use (days in each of the four weeks, the total, the average amount on a using
day), tobacco, injecting and sharing, crime, and health and social functioning (three 0–20
scales, days of work and of college or school, housing).

Only names, structure and our own short labels are shipped: the official form's wording is
licensed material (README, "Licensed material").

Due TOPs (`due_schedule`, pure): each stay has a list of due points, each met by a TOP of its stage
(a review point by the first review TOP in its window, so one TOP never meets two points).
Compliance is the share of counted due points whose due date has come that were met, per unit and
per key worker, against the contract's 90% target. An exit TOP after an unplanned discharge, and a
post-treatment exit TOP when the 6-month follow-up could not reach the person, are asked for "where
possible": they are listed, but not counted for or against compliance."""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from keyworker import reference_data as ref
from keyworker import review_schedule as rs
from keyworker.clock import format_date, local_today
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import FollowUp
from keyworker.db.top import Top, TopSubstance
from keyworker.errors import NotFound, PermissionDenied, ValidationError
from keyworker.follow_ups_schedule import add_months
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

STAGES: tuple[ref.Option, ...] = (
    ref.Option("start", "Start"),
    ref.Option("review", "Review"),
    ref.Option("exit", "Exit"),
    ref.Option("post_treatment_exit", "Post-treatment exit"),
)
STAGE_LABELS = {o.code: o.label for o in STAGES}


@dataclass(frozen=True)
class Substance:
    code: str
    label: str
    default_unit: str


SUBSTANCES: tuple[Substance, ...] = (
    Substance("alcohol", "Alcohol", "units"),
    Substance("opiates", "Opiates", "grams"),
    Substance("crack", "Crack", "grams"),
    Substance("cocaine", "Cocaine", "grams"),
    Substance("amphetamines", "Amphetamines", "grams"),
    Substance("cannabis", "Cannabis", "grams"),
    Substance("other", "Other substance", "grams"),
)
SUBSTANCE_LABELS = {s.code: s.label for s in SUBSTANCES}
# Our own short labels for the amount on a using day.
AMOUNT_UNITS: dict[str, str] = {"units": "units", "grams": "g", "pounds": "£"}
AMOUNT_UNIT_WORDS: dict[str, str] = {"units": "units", "grams": "grams", "pounds": "£ spent"}
MAX_AMOUNT = 10_000.0

# (field, label) of the 0–20 scales, and of the day counts (0–28) and yes/no answers.
SCALES: tuple[tuple[str, str], ...] = (
    ("psychological_health", "Psychological health"),
    ("physical_health", "Physical health"),
    ("quality_of_life", "Quality of life"),
)
DAY_FIELDS: tuple[tuple[str, str], ...] = (
    ("tobacco_days", "Tobacco"),
    ("injecting_days", "Injecting"),
    ("shoplifting_days", "Shoplifting"),
    ("drug_selling_days", "Selling drugs"),
    ("paid_work_days", "Paid work"),
    ("education_days", "College or school"),
)
YES_NO_FIELDS: tuple[tuple[str, str], ...] = (
    ("shared_needles", "Shared needles or syringes"),
    ("shared_other_equipment", "Shared other injecting equipment"),
    ("vehicle_theft", "Theft from or of a vehicle"),
    ("property_theft", "Other property theft or burglary"),
    ("fraud", "Fraud, forgery or handling stolen goods"),
    ("assault", "Assault or violence"),
    ("acute_housing_problem", "Acute housing problem"),
    ("eviction_risk", "At risk of eviction"),
)
FIELD_LABELS = dict(SCALES + DAY_FIELDS + YES_NO_FIELDS)

# The official TOP form's wording is licensed: a unit that holds it may install it in
# resources/licensed/top.json ({"wording": {"psychological_health": "...", "opiates": "...", ...}},
# keys from LICENSABLE), shown on the form beside our short labels. Never shipped with the app.
LICENSED_FILE = Path(__file__).resolve().parent.parent / "resources" / "licensed" / "top.json"
LICENSABLE = frozenset({*FIELD_LABELS, *SUBSTANCE_LABELS})


@lru_cache(maxsize=1)
def licensed_wording(path: Path = LICENSED_FILE) -> dict[str, str]:
    """The unit's licensed wording by field, if installed; else nothing. A file that is not as
    described (unknown field, not text, unreadable) is ignored as a whole: our labels still work."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        wording = data["wording"]
        if not isinstance(wording, dict) or not all(isinstance(v, str) for v in wording.values()):
            return {}
        out = {str(k): v.strip() for k, v in wording.items() if v.strip()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return out if set(out) <= LICENSABLE else {}


def field_wording(name: str) -> str:
    """The licensed wording of a field or substance, or "" (the form then shows our label only)."""
    return licensed_wording().get(name, "")


START_WITHIN_DAYS = 14
REVIEW_EVERY_MONTHS = 6
REVIEW_WINDOW_DAYS = 28  # a 6-monthly review TOP may be held up to 4 weeks before its date
POST_EXIT_MONTHS = 6
DUE_SOON_DAYS = 7
# After the stay has ended, an exit or post-treatment exit TOP not done within this many days of
# its date is missed (counted, no longer listed as due).
LATE_LIMIT_DAYS = 90
TARGET_PCT = 90.0

# Due point states.
DONE, OVERDUE, DUE, UPCOMING, MISSED, OPTIONAL = "done", "overdue", "due", "upcoming", "missed", "optional"
STATE_LABELS = {DONE: "Done", OVERDUE: "Overdue", DUE: "Due now", UPCOMING: "Not yet due", MISSED: "Missed",
                OPTIONAL: "If it can be done"}


# -- inputs -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubstanceUse:
    """One substance's past 28 days: `weeks` the days used in each of the four weeks (0–7 each;
    the total is their sum), or only `total_days` (0–28); both given, they must agree."""

    substance: str  # a code or label of SUBSTANCES
    weeks: list[int] | None = None
    total_days: int | None = None
    average_amount: float | int | None = None  # on a using day
    amount_unit: str | None = None  # units / grams / pounds; None: the substance's usual unit
    other_name: str = ""  # names the "other" substance


@dataclass(frozen=True)
class TopInput:
    resident_id: str
    stage: str  # a code or label of STAGES
    interview_on: date | str
    psychological_health: int
    physical_health: int
    quality_of_life: int
    substances: list[SubstanceUse] = field(default_factory=list)  # a substance left out: not used
    tobacco_days: int = 0
    injecting_days: int = 0
    shared_needles: bool = False
    shared_other_equipment: bool = False
    shoplifting_days: int = 0
    drug_selling_days: int = 0
    vehicle_theft: bool = False
    property_theft: bool = False
    fraud: bool = False
    assault: bool = False
    paid_work_days: int = 0
    education_days: int = 0
    acute_housing_problem: bool = False
    eviction_risk: bool = False
    admission_id: str | None = None  # None: the resident's current (or latest) stay


# -- views ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubstanceView:
    substance: str
    label: str  # "Opiates", or the other substance's name: "Other substance (ketamine)"
    weeks: tuple[int, int, int, int] | None
    total_days: int
    average_amount: float | None
    amount_unit: str | None

    @property
    def short_label(self) -> str:
        """For a chart's legend: "Opiates", or the other substance's name ("Other: ketamine")."""
        if self.substance == "other" and self.label.startswith("Other substance ("):
            return "Other: " + self.label[len("Other substance ("):-1]
        return self.label

    @property
    def amount_text(self) -> str:
        """"4 g", "£20", "12 units" or ""."""
        if self.average_amount is None or self.amount_unit is None:
            return ""
        n = f"{self.average_amount:g}"
        return f"£{n}" if self.amount_unit == "pounds" else f"{n} {AMOUNT_UNITS[self.amount_unit]}"


@dataclass(frozen=True)
class TopView:
    id: str
    resident_id: str
    admission_id: str
    stage: str
    interview_on: date
    completed_by_id: str
    completed_by_name: str
    substances: tuple[SubstanceView, ...]  # in SUBSTANCES order
    tobacco_days: int
    injecting_days: int
    shared_needles: bool
    shared_other_equipment: bool
    shoplifting_days: int
    drug_selling_days: int
    vehicle_theft: bool
    property_theft: bool
    fraud: bool
    assault: bool
    psychological_health: int
    physical_health: int
    quality_of_life: int
    paid_work_days: int
    education_days: int
    acute_housing_problem: bool
    eviction_risk: bool

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, "TOP")

    def days_of(self, substance: str) -> int:
        return next((s.total_days for s in self.substances if s.substance == substance), 0)

    @property
    def substances_used(self) -> tuple[SubstanceView, ...]:
        return tuple(s for s in self.substances if s.total_days > 0)


@dataclass(frozen=True)
class DueTop:
    """One TOP a stay calls for: its stage, when it is due and whether it was done."""

    admission_id: str
    resident_id: str
    stage: str
    label: str  # "Start TOP", "Mid-way review TOP", "6-monthly review TOP", "Exit TOP", ...
    due_on: date
    window_from: date  # the first day a TOP meets it
    counted: bool  # counts towards compliance (False: "where possible")
    top_id: str | None  # the TOP that met it
    done_on: date | None
    state: str  # done / overdue / due / upcoming / missed / optional

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def open(self) -> bool:
        """Still to do and still worth doing."""
        return self.state in (OVERDUE, DUE, UPCOMING, OPTIONAL)


@dataclass(frozen=True)
class TopDueRow:
    """A TOP due now or soon, for Today and the record's header (rows only: not audited)."""

    resident_id: str
    admission_id: str
    resident_name: str
    reference: str
    key_worker_id: str
    label: str
    due_on: date
    overdue: bool

    @property
    def text(self) -> str:
        return f"{self.label} {'was due' if self.overdue else 'due'} {format_date(self.due_on)}"


@dataclass(frozen=True)
class KeyWorkerCompliance:
    key_worker_id: str
    name: str
    due: int
    completed: int

    @property
    def pct(self) -> float | None:
        return _pct(self.completed, self.due)

    @property
    def meets_target(self) -> bool | None:
        p = self.pct
        return None if p is None else p >= TARGET_PCT


@dataclass(frozen=True)
class TopCompliance:
    start: date | None
    end: date
    due: int  # counted TOPs whose due date fell in start..end (and has come)
    completed: int
    key_workers: tuple[KeyWorkerCompliance, ...]  # by name
    target_pct: float = TARGET_PCT

    @property
    def missing(self) -> int:
        return self.due - self.completed

    @property
    def pct(self) -> float | None:
        return _pct(self.completed, self.due)

    @property
    def meets_target(self) -> bool | None:
        p = self.pct
        return None if p is None else p >= self.target_pct

    @property
    def summary(self) -> str:
        if self.pct is None:
            return "No TOPs were due in this period."
        verdict = "meets" if self.meets_target else "is below"
        return (f"{self.completed} of {self.due} due TOPs completed ({self.pct:.1f}%), which {verdict} "
                f"the {self.target_pct:.0f}% target.")


def _pct(done: int, due: int) -> float | None:
    return None if due == 0 else round(100.0 * done / due, 1)


# -- validation -------------------------------------------------------------------------------------
def _int_in(c: Cleaner, key: str, raw: Any, low: int, high: int, message: str) -> int | None:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int):
        c.error(key, message)
        return None
    if not low <= raw <= high:
        c.error(key, message)
        return None
    return raw


def _clean_substance(c: Cleaner, item: Any, seen: set[str]) -> dict[str, Any] | None:
    try:
        data = form_fields(item)
    except ValidationError as e:
        for k, v in e.fields.items():
            c.error(f"substances.{k}" if k else "substances", v)
        return None
    code = ref.find_code(tuple(ref.Option(s.code, s.label) for s in SUBSTANCES),
                         data.get("substance") if isinstance(data.get("substance"), str) else None)
    if code is None:
        c.error("substances", "Choose substances from: " + ", ".join(s.label for s in SUBSTANCES) + ".")
        return None
    if code in seen:
        c.error(f"substances.{code}", f"{SUBSTANCE_LABELS[code]} is given twice.")
        return None
    seen.add(code)
    label = SUBSTANCE_LABELS[code]
    key = f"substances.{code}"
    out: dict[str, Any] = {"substance": code, "other_name": None}
    weeks_raw = data.get("weeks")
    weeks: list[int] | None = None
    if weeks_raw is not None:
        if not isinstance(weeks_raw, list | tuple) or len(weeks_raw) != 4:
            c.error(f"{key}.weeks", f"{label}: give the days used in each of the 4 weeks.")
            return None
        weeks = []
        for n, raw in enumerate(weeks_raw, start=1):
            day = _int_in(c, f"{key}.week{n}", raw, 0, 7, f"{label}, week {n}: days must be 0 to 7.")
            if day is None:
                return None
            weeks.append(day)
    total_raw = data.get("total_days")
    total: int | None = None
    if total_raw is not None:
        if isinstance(total_raw, bool) or not isinstance(total_raw, int):
            c.error(f"{key}.total_days", f"{label}: total days must be a whole number from 0 to 28.")
            return None
        if total_raw > 28:
            c.error(f"{key}.total_days", f"{label}: total days cannot be more than 28.")
            return None
        if total_raw < 0:
            c.error(f"{key}.total_days", f"{label}: total days cannot be less than 0.")
            return None
        total = total_raw
    if weeks is not None:
        if total is not None and total != sum(weeks):
            c.error(f"{key}.total_days", f"{label}: the total ({total}) is not the sum of the four weeks "
                                         f"({sum(weeks)}).")
            return None
        total = sum(weeks)
    total = total or 0
    out.update(week1=weeks[0] if weeks else None, week2=weeks[1] if weeks else None,
               week3=weeks[2] if weeks else None, week4=weeks[3] if weeks else None, total_days=total)
    amount = data.get("average_amount")
    unit = data.get("amount_unit")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
            c.error(f"{key}.average_amount", f"{label}: the average amount must be a number.")
            return None
        if amount < 0 or amount > MAX_AMOUNT:
            c.error(f"{key}.average_amount", f"{label}: the average amount must be 0 to {MAX_AMOUNT:,.0f}.")
            return None
        if total == 0 and amount > 0:
            c.error(f"{key}.average_amount", f"{label}: an average amount needs at least one day of use.")
            return None
    if unit in (None, ""):
        unit = next(s.default_unit for s in SUBSTANCES if s.code == code)
    elif unit not in AMOUNT_UNITS:
        c.error(f"{key}.amount_unit", f"{label}: the amount is in units, grams or £.")
        return None
    out["average_amount"] = float(amount) if amount is not None else None
    out["amount_unit"] = unit if amount is not None else None
    if code == "other":
        name = data.get("other_name") or ""
        if not isinstance(name, str) or len(name.strip()) > 60:
            c.error(f"{key}.other_name", "Other substance: the name must be text of 60 characters or fewer.")
            return None
        if total > 0 and not name.strip():
            c.error(f"{key}.other_name", "Other substance: say which substance.")
            return None
        out["other_name"] = name.strip() or None
    return out


def validate_top(data: Mapping[str, Any] | TopInput, *, today: date) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                                            dict[str, str]]:
    """(the TOP's values, its substance rows, errors by field)."""
    fields = dict(form_fields(data))
    c = Cleaner(fields)
    c.text("resident_id", "Resident", required=True, max_len=36)
    c.text("admission_id", "Stay", max_len=36)
    c.choice("stage", "Stage", STAGES, required=True)
    c.date("interview_on", "Interview date", required=True)
    if isinstance(c.values.get("interview_on"), date) and c.values["interview_on"] > today:
        del c.values["interview_on"]
        c.error("interview_on", "The interview date cannot be in the future.")
    for name, label in SCALES:
        if fields.get(name) is None:
            c.error(name, f"{label}: give a score from 0 to 20.")
            continue
        score = _int_in(c, name, fields.get(name), 0, 20, f"{label} must be 0 to 20.")
        if score is not None:
            c.values[name] = score
    for name, label in DAY_FIELDS:
        v = _int_in(c, name, fields.get(name, 0), 0, 28, f"{label}: days must be 0 to 28.")
        if v is not None:
            c.values[name] = v
    for name, label in YES_NO_FIELDS:
        raw = fields.get(name, False)
        if not isinstance(raw, bool):
            c.error(name, f"{label} must be yes or no.")
        else:
            c.values[name] = raw
    if c.values.get("injecting_days") == 0 and (fields.get("shared_needles") is True
                                                or fields.get("shared_other_equipment") is True):
        c.error("injecting_days", "Sharing is recorded only with at least one day of injecting.")
    rows: list[dict[str, Any]] = []
    items = fields.get("substances") or []
    if not isinstance(items, list | tuple):
        c.error("substances", "The substances must be a list.")
        items = []
    seen: set[str] = set()
    for item in items:
        row = _clean_substance(c, item, seen)
        if row is not None:
            rows.append(row)
    return c.values, rows, c.errors


# -- due TOPs (pure) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StayFacts:
    """What a stay's due TOPs depend on."""

    admission_id: str
    resident_id: str
    key_worker_id: str
    admitted_on: date
    planned_weeks: int
    discharged_on: date | None = None
    discharge_type: str | None = None  # planned / unplanned
    follow_up_due_on: date | None = None  # the 6-month follow-up
    follow_up_status: str | None = None  # due / done / not_contactable / declined


def review_points(stay: StayFacts, today: date) -> list[tuple[str, date, date]]:
    """(label, due date, window start) of the stay's review TOPs: the mid-way review, and one at
    least every 6 months (6, 12, ... months after admission, unless the mid-way one falls within 4
    weeks of that date), while the stay lasts; for an open stay up to the first one after today."""
    midway = rs.midway_date(stay.admitted_on, stay.planned_weeks)
    points: list[tuple[str, date, date]] = [
        ("Mid-way review TOP", midway, rs.midway_window_start(stay.admitted_on, stay.planned_weeks))]
    k = 1
    while True:
        p = add_months(stay.admitted_on, REVIEW_EVERY_MONTHS * k)
        k += 1
        if stay.discharged_on is not None and p > stay.discharged_on:
            break
        if abs((p - midway).days) > REVIEW_WINDOW_DAYS:
            points.append(("6-monthly review TOP", p, p - timedelta(days=REVIEW_WINDOW_DAYS)))
        if stay.discharged_on is None and p > today and p > midway:
            break
        if k > 200:  # a stay of 100 years is not one
            break
    points.sort(key=lambda x: x[1])
    if stay.discharged_on is not None:
        points = [x for x in points if x[1] <= stay.discharged_on]
    else:
        first_future = next((i for i, x in enumerate(points) if x[1] > today), len(points))
        points = points[:first_future + 1]
    return points


def due_schedule(stay: StayFacts, tops: Iterable[tuple[str, str, date]], today: date) -> list[DueTop]:
    """Every TOP the stay calls for up to its next one, each with the TOP that met it. `tops`:
    (id, stage, interview_on) of the stay's TOPs."""
    by_stage: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for tid, stage, on in tops:
        by_stage[stage].append((on, tid))
    for v in by_stage.values():
        v.sort()
    ended = stay.discharged_on
    out: list[DueTop] = []

    def add(stage: str, label: str, due_on: date, window_from: date, counted: bool,
            met: tuple[date, str] | None, *, late_limit: date | None, superseded: bool = False) -> None:
        if met is not None:
            state = DONE
        elif not counted:
            state = OPTIONAL if late_limit is None or today <= late_limit else MISSED
        elif superseded or (late_limit is not None and today > late_limit):
            state = MISSED
        elif due_on < today:
            state = OVERDUE
        elif window_from <= today:
            state = DUE
        else:
            state = UPCOMING
        out.append(DueTop(stay.admission_id, stay.resident_id, stage, label, due_on, window_from, counted,
                          met[1] if met else None, met[0] if met else None, state))

    # Start: within 14 days (by the day they left, if that came first).
    start_due = stay.admitted_on + timedelta(days=START_WITHIN_DAYS)
    if ended is not None and ended < start_due:
        start_due = ended
    starts = by_stage.get("start", [])
    add("start", "Start TOP", start_due, stay.admitted_on, True, starts[0] if starts else None,
        late_limit=ended)
    # Reviews: each point met by the first unused review TOP from its window until the next's.
    points = review_points(stay, today)
    reviews = list(by_stage.get("review", []))
    for i, (label, due_on, window_from) in enumerate(points):
        next_window = points[i + 1][2] if i + 1 < len(points) else None
        met = next(((on, tid) for on, tid in reviews
                    if on >= window_from and (next_window is None or on < next_window)), None)
        if met is not None:
            reviews.remove(met)
        superseded = next_window is not None and next_window <= today
        add("review", label, due_on, window_from, True, met, late_limit=ended, superseded=superseded)
    # Exit: at discharge; after an unplanned one, where possible.
    if ended is not None:
        exits = by_stage.get("exit", [])
        add("exit", "Exit TOP", ended, ended - timedelta(days=REVIEW_WINDOW_DAYS),
            stay.discharge_type != "unplanned", exits[0] if exits else None,
            late_limit=ended + timedelta(days=LATE_LIMIT_DAYS))
    # Post-treatment exit: at the 6-month follow-up of a completed programme.
    if stay.follow_up_due_on is not None:
        posts = by_stage.get("post_treatment_exit", [])
        reached = stay.follow_up_status not in ("not_contactable", "declined")
        add("post_treatment_exit", "Post-treatment exit TOP", stay.follow_up_due_on,
            stay.follow_up_due_on - timedelta(days=REVIEW_WINDOW_DAYS), reached, posts[0] if posts else None,
            late_limit=stay.follow_up_due_on + timedelta(days=LATE_LIMIT_DAYS))
    return out


def tally(items: Iterable[tuple[str, DueTop]], start: date | None, end: date) -> tuple[int, int, dict[str, list[int]]]:
    """(due, completed, {key worker: [due, completed]}) of counted points due in start..end."""
    due = done = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kw, d in items:
        if not d.counted or d.due_on > end or (start is not None and d.due_on < start):
            continue
        met = d.top_id is not None
        due += 1
        done += met
        per[kw][0] += 1
        per[kw][1] += met
    return due, done, per


def stays_due_between(start: date, end: date) -> Any:
    """The stays (a condition on Admission) that can have a TOP due from `start` to `end`: every due
    point is on or after admission and on or before discharge, but the post-treatment exit TOP, due
    at the 6-month follow-up. So a stay that ended before `start` counts only if that follow-up
    falls in the period; on a unit with years of history this leaves out most of them."""
    return and_(Admission.admitted_on <= end, or_(
        Admission.discharged_on.is_(None), Admission.discharged_on >= start,
        Admission.id.in_(select(FollowUp.admission_id).where(
            FollowUp.months == POST_EXIT_MONTHS, FollowUp.due_on >= start, FollowUp.due_on <= end,
            FollowUp.archived.is_(False)))))


# -- the service ------------------------------------------------------------------------------------
def _name(r: Resident) -> str:
    return f"{r.preferred_name or r.given_name} {r.family_name}"


class TopService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    # writing ------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record(self, data: TopInput) -> TopView:
        """A TOP interview (audited `top.record`). One start, one exit and one post-treatment exit
        TOP per stay; reviews as often as held. Every value is checked, each error naming its field."""
        book = self._book
        today = local_today(book.clock)
        values, rows, errors = validate_top(data, today=today)
        if errors:
            raise ValidationError(errors)
        with book._write() as s:
            res = s.get(Resident, values["resident_id"])
            if res is None or res.archived:
                raise NotFound("That resident does not exist.")
            adm = self._stay(s, res.id, values.pop("admission_id", None))
            self._check_stage(s, adm, values["stage"], values["interview_on"])
            top = Top(**values, admission_id=adm.id, completed_by=book.actor.id)
            s.add(top)
            s.flush([top])
            subs = [TopSubstance(top_id=top.id, **r) for r in rows]
            s.add_all(subs)
            s.flush(subs)
            book._record(s, "top.record", "top", top.id, resident_id=res.id,
                         detail={"stage": top.stage, "interview_on": top.interview_on.isoformat()})
            return self._view(s, top, subs)

    def _stay(self, s: Session, resident_id: str, admission_id: str | None) -> Admission:
        if admission_id:
            adm = s.get(Admission, admission_id)
            if adm is None or adm.archived or adm.resident_id != resident_id:
                raise ValidationError({"admission_id": "That stay is not this resident's."})
            return adm
        adm = s.scalars(select(Admission).where(Admission.resident_id == resident_id, Admission.archived.is_(False))
                        .order_by(Admission.admitted_on.desc())).first()
        if adm is None:
            raise ValidationError({"resident_id": "This resident has not been admitted: a TOP belongs to a stay."})
        return adm

    def _check_stage(self, s: Session, adm: Admission, stage: str, on: date) -> None:
        if on < adm.admitted_on:
            raise ValidationError({"interview_on": "The interview date cannot be before the admission on "
                                                   f"{format_date(adm.admitted_on)}."})
        left = adm.discharged_on
        if stage in ("start", "review") and left is not None and on > left:
            raise ValidationError({"interview_on": f"A {STAGE_LABELS[stage].lower()} TOP is held during the stay, "
                                                   f"which ended on {format_date(left)}."})
        if stage == "post_treatment_exit" and (left is None or on <= left):
            raise ValidationError({"stage": "A post-treatment exit TOP is held after discharge, at the "
                                            "6-month follow-up."})
        if stage in ("start", "exit", "post_treatment_exit"):
            earlier = s.scalars(select(Top).where(Top.admission_id == adm.id, Top.stage == stage,
                                                  Top.archived.is_(False))).first()
            if earlier is not None:
                raise ValidationError({"stage": f"This stay already has a {STAGE_LABELS[stage].lower()} TOP "
                                                f"({format_date(earlier.interview_on)})."})

    # reading ------------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, top_id: str) -> TopView:
        """One TOP (audited `top.view`)."""
        with self._book._write() as s:
            top = s.get(Top, top_id)
            if top is None or top.archived:
                raise NotFound("That TOP does not exist.")
            self._book._record(s, "top.view", "top", top.id, resident_id=top.resident_id)
            return self._view(s, top, self._subs(s, [top.id])[top.id])

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str) -> list[TopView]:
        """The resident's TOPs over all stays, oldest first (audited `top.history`)."""
        with self._book._write() as s:
            res = s.get(Resident, resident_id)
            if res is None or res.archived:
                raise NotFound("That resident does not exist.")
            tops = s.scalars(select(Top).where(Top.resident_id == resident_id, Top.archived.is_(False))
                             .order_by(Top.interview_on, Top.created_at)).all()
            subs = self._subs(s, [t.id for t in tops])
            self._book._record(s, "top.history", "resident", resident_id, resident_id=resident_id)
            return [self._view(s, t, subs[t.id]) for t in tops]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due(self, resident_id: str) -> list[DueTop]:
        """The TOPs the resident's stays call for, done or not, by due date (audited `top.due`)."""
        today = local_today(self._book.clock)
        with self._book._write() as s:
            res = s.get(Resident, resident_id)
            if res is None or res.archived:
                raise NotFound("That resident does not exist.")
            out = [d for _stay, d in self._schedule(s, today, Admission.resident_id == resident_id)]
            self._book._record(s, "top.due", "resident", resident_id, resident_id=resident_id)
            return sorted(out, key=lambda d: (d.due_on, d.stage))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def unit_due(self, scope: str = "mine") -> list[TopDueRow]:
        """TOPs overdue or due within a week, most overdue first: `scope` "mine" the signed-in
        user's residents, "unit" everyone's (rows only, for Today; not audited)."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose your residents or the whole unit."},
                                  "Choose your residents or the whole unit.")
        where = Admission.key_worker_id == self._book.actor.id if scope == "mine" else None
        return self._due_rows(where)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def overdue(self, resident_id: str) -> list[TopDueRow]:
        """The resident's overdue TOPs (rows only, for the record's header; not audited)."""
        return [r for r in self._due_rows(Admission.resident_id == resident_id) if r.overdue]

    def _due_rows(self, where: Any) -> list[TopDueRow]:
        today = local_today(self._book.clock)
        soon = today + timedelta(days=DUE_SOON_DAYS)
        # Only stays that can still have a TOP outstanding, so Today costs the current caseload, not
        # the unit's whole history: open ones; after discharge the exit TOP is outstanding for
        # LATE_LIMIT_DAYS (every earlier point is missed by then), and the post-treatment exit TOP
        # from its follow-up's date until LATE_LIMIT_DAYS after it.
        late = today - timedelta(days=LATE_LIMIT_DAYS)
        recent = or_(Admission.discharged_on.is_(None), Admission.discharged_on >= late,
                     Admission.id.in_(select(FollowUp.admission_id).where(
                         FollowUp.months == POST_EXIT_MONTHS, FollowUp.due_on >= late, FollowUp.due_on <= soon,
                         FollowUp.archived.is_(False))))
        where = recent if where is None else and_(where, recent)
        with self._book._read() as s:
            found = [(stay, d) for stay, d in self._schedule(s, today, where)
                     if d.counted and d.state in (OVERDUE, DUE, UPCOMING) and d.due_on <= soon]
            ids = {stay.resident_id for stay, _d in found}
            people = {r.id: r for r in s.scalars(select(Resident).where(Resident.id.in_(ids)))} if ids else {}
            rows = [TopDueRow(stay.resident_id, stay.admission_id, _name(people[stay.resident_id]),
                              people[stay.resident_id].reference, stay.key_worker_id, d.label, d.due_on,
                              d.due_on < today)
                    for stay, d in found if stay.resident_id in people and not people[stay.resident_id].archived]
            return sorted(rows, key=lambda r: (r.due_on, r.resident_name))

    @typed_inputs
    def compliance(self, start: date | None = None, end: date | None = None,
                   key_worker_id: str | None = None) -> TopCompliance:
        """The share of due TOPs completed, for TOPs due from `start` (None: ever) to `end` (None:
        today), for the unit and per key worker, against the 90% target. Seniors and administrators
        (view_reports) see the unit or any key worker; a key worker (record_key_work) their own."""
        actor = self._book.actor
        if not actor.can(Permission.VIEW_REPORTS):
            self._book.require(Permission.RECORD_KEY_WORK)
            if key_worker_id not in (None, actor.id):
                raise PermissionDenied(actor.role.value, "see another key worker's TOP compliance")
            key_worker_id = actor.id
        today = local_today(self._book.clock)
        end = min(end or today, today)
        if start is not None and start > end:
            raise ValidationError({"start": "The start of the period is after its end."})
        from keyworker.residents import account_names

        with self._book._read() as s:
            where = Admission.key_worker_id == key_worker_id if key_worker_id else None
            if start is not None:
                window = stays_due_between(start, end)
                where = window if where is None else and_(where, window)
            items = [(stay.key_worker_id, d) for stay, d in self._schedule(s, today, where)]
            names = account_names(s)
        due, done, per = tally(items, start, end)
        kws = tuple(sorted((KeyWorkerCompliance(k, names.get(k, "Unknown"), v[0], v[1]) for k, v in per.items()),
                           key=lambda x: x.name))
        return TopCompliance(start, end, due, done, kws)

    def counts(self, session: Session) -> dict[str, Any]:
        today = local_today(self._book.clock)
        items = [d for _stay, d in self._schedule(session, today, None)]
        due_now = sum(1 for d in items if d.counted and d.state in (OVERDUE, DUE) and d.due_on <= today)
        due, done, _per = tally((("", d) for d in items), None, today)
        return {"tops_due": due_now, "top_compliance_pct": _pct(done, due)}

    # internals ----------------------------------------------------------------------------------
    def _schedule(self, s: Session, today: date, where: Any) -> list[tuple[StayFacts, DueTop]]:
        """Every due point of the stays matching `where` (None: all), in three queries."""
        q = select(Admission.id, Admission.resident_id, Admission.key_worker_id, Admission.admitted_on,
                   Admission.planned_weeks, Admission.discharged_on, Admission.discharge_type) \
            .where(Admission.archived.is_(False))
        if where is not None:
            q = q.where(where)
        adms = s.execute(q).all()
        if not adms:
            return []
        ids = [a.id for a in adms]
        tops: dict[str, list[tuple[str, str, date]]] = defaultdict(list)
        follow: dict[str, tuple[date, str]] = {}
        for chunk in _chunks(ids, 900):
            for tid, aid, stage, on in s.execute(
                    select(Top.id, Top.admission_id, Top.stage, Top.interview_on)
                    .where(Top.admission_id.in_(chunk), Top.archived.is_(False))):
                tops[aid].append((tid, stage, on))
            for aid, due_on, status in s.execute(
                    select(FollowUp.admission_id, FollowUp.due_on, FollowUp.status)
                    .where(FollowUp.admission_id.in_(chunk), FollowUp.months == POST_EXIT_MONTHS,
                           FollowUp.archived.is_(False))):
                follow[aid] = (due_on, status)
        out: list[tuple[StayFacts, DueTop]] = []
        for a in adms:
            fu = follow.get(a.id)
            stay = StayFacts(a.id, a.resident_id, a.key_worker_id, a.admitted_on, a.planned_weeks, a.discharged_on,
                             a.discharge_type, fu[0] if fu else None, fu[1] if fu else None)
            out.extend((stay, d) for d in due_schedule(stay, tops.get(a.id, []), today))
        return out

    def _subs(self, s: Session, top_ids: Sequence[str]) -> dict[str, list[TopSubstance]]:
        out: dict[str, list[TopSubstance]] = {t: [] for t in top_ids}
        for chunk in _chunks(list(top_ids), 900):
            for row in s.scalars(select(TopSubstance).where(TopSubstance.top_id.in_(chunk),
                                                            TopSubstance.archived.is_(False))):
                out[row.top_id].append(row)
        return out

    def _view(self, s: Session, t: Top, subs: Sequence[TopSubstance]) -> TopView:
        from keyworker.residents import account_names

        order = {x.code: i for i, x in enumerate(SUBSTANCES)}
        views = []
        for r in sorted(subs, key=lambda r: order.get(r.substance, 99)):
            weeks = (r.week1, r.week2, r.week3, r.week4)
            label = SUBSTANCE_LABELS.get(r.substance, "Other substance")
            if r.substance == "other" and r.other_name:
                label = f"Other substance ({r.other_name})"
            views.append(SubstanceView(r.substance, label,
                                       None if any(w is None for w in weeks) else weeks,  # type: ignore[arg-type]
                                       r.total_days, r.average_amount, r.amount_unit))
        return TopView(t.id, t.resident_id, t.admission_id, t.stage, t.interview_on, t.completed_by,
                       account_names(s).get(t.completed_by, ""), tuple(views), t.tobacco_days, t.injecting_days,
                       t.shared_needles, t.shared_other_equipment, t.shoplifting_days, t.drug_selling_days,
                       t.vehicle_theft, t.property_theft, t.fraud, t.assault, t.psychological_health,
                       t.physical_health, t.quality_of_life, t.paid_work_days, t.education_days,
                       t.acute_housing_problem, t.eviction_risk)


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]

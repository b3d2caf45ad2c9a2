"""Outcome Star readings (`book.outcome_star`, issue 14): a distance-travelled questionnaire
(contract 11.1.4–11.1.12). Each reading scores every area of a Star definition 1–10 with optional
notes per area; the Journey of Change stage of each score comes from the definition's bands
(keyworker/outcome_star_definitions.py). A reading belongs to one stay: one at admission, then
during the stay (the app suggests one every 4 weeks), and one at discharge.

Rules a reading must meet, and why:
- every area of the definition is scored, each a whole number 1–10 (a part-scored Star cannot be
  compared with the next one);
- the date is within the stay (from the admission date to the discharge date, or today) and not in
  the future;
- one admission reading per stay, taken in the first 4 weeks and before any other reading of the stay
  (it is the baseline the distance is measured from);
- one discharge reading per stay, and only once discharge is planned (the stay has a discharge
  plan) or the stay has ended: an exit reading taken weeks before anyone planned the exit would
  not describe the resident at the end of treatment.

Key workers and seniors record (`record_key_work`: it is key work done with the resident); whoever
reads records reads them (nights included). Every read is audited."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from keyworker import outcome_star_definitions as defs
from keyworker.clock import format_date, local_today
from keyworker.corrections import clean_reason, current_row, supersede
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import DischargePlan
from keyworker.db.outcomes import STAGES, StarReading, StarScore
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import form_fields, typed_inputs
from keyworker.security.permissions import Permission
from keyworker.validation import Cleaner

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

STAGE_LABELS = {"admission": "Admission", "review": "During the stay", "discharge": "Discharge"}
EVERY_DAYS = 28  # a reading is suggested every 4 weeks
ADMISSION_WITHIN_DAYS = 28  # the admission reading is taken in the first 4 weeks
NOTE_MAX = 2000


@dataclass(frozen=True)
class StarReadingInput:
    resident_id: str
    scores: dict[str, int]  # area key -> 1..10, every area of the definition
    taken_on: date | str | None = None  # None = today
    stage: str = "review"  # admission / review / discharge
    notes: dict[str, str] = field(default_factory=dict)  # area key -> note (optional)
    completed_by: str = ""  # who completed it with the resident; "" = the signed-in user
    note: str | None = None  # on the whole reading
    definition_id: str | None = None  # None = the current definition (defs.current())
    definition_version: str | None = None


@dataclass(frozen=True)
class AreaScore:
    key: str
    name: str
    score: int
    stage: str  # the Journey of Change stage's name ("Believing")
    note: str


@dataclass(frozen=True)
class StarReadingView:
    id: str
    resident_id: str
    admission_id: str
    taken_on: date
    stage: str
    definition_id: str
    definition_version: str
    definition_name: str
    scores: tuple[AreaScore, ...]  # in the definition's order
    completed_by: str
    note: str
    recorded_at: datetime
    recorded_by_name: str
    supersedes_id: str | None = None
    superseded_by_id: str | None = None
    correction_reason: str | None = None

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, "During the stay")

    @property
    def title(self) -> str:
        return f"{format_date(self.taken_on)} ({self.stage_label.lower()})"

    @property
    def total(self) -> int:
        return sum(a.score for a in self.scores)

    def score_of(self, key: str) -> int | None:
        return next((a.score for a in self.scores if a.key == key), None)


@dataclass(frozen=True)
class AreaDistance:
    key: str
    name: str
    first: int
    latest: int
    first_stage: str
    latest_stage: str

    @property
    def change(self) -> int:
        return self.latest - self.first

    @property
    def change_text(self) -> str:
        return f"+{self.change}" if self.change > 0 else str(self.change) if self.change else "no change"

    @property
    def stage_text(self) -> str:
        return self.latest_stage if self.first_stage == self.latest_stage else f"{self.first_stage} → {self.latest_stage}"


@dataclass(frozen=True)
class StarDistance:
    """Distance travelled between two readings (by default the stay's first and latest)."""

    first: StarReadingView
    latest: StarReadingView
    areas: tuple[AreaDistance, ...]

    @property
    def total_change(self) -> int:
        return sum(a.change for a in self.areas)

    @property
    def improved(self) -> int:
        return sum(1 for a in self.areas if a.change > 0)


@dataclass(frozen=True)
class StarDue:
    """What the record suggests for the current stay: the admission reading if it is missing, the
    next reading 4 weeks after the latest, the discharge reading once discharge is planned."""

    admission_id: str | None
    admission_missing: bool
    next_due_on: date | None
    overdue: bool
    discharge_due: bool
    last_taken_on: date | None
    message: str  # one sentence for the tab and Today ("" when nothing is due)


DUE_SOON_DAYS = 7  # Today lists readings overdue or due within a week


@dataclass(frozen=True)
class StarDueRow:
    """An Outcome Star reading due now or soon for a current stay, for Today and the record's
    header (rows only, like `book.top.unit_due`: not audited). `kind` is "admission" (the stay
    has no reading yet: the baseline, due in the first 4 weeks), "discharge" (discharge is
    planned and the discharge reading is still to take, by the planned date) or "review" (the
    next reading, 4 weeks after the latest)."""

    resident_id: str
    admission_id: str
    resident_name: str
    reference: str
    key_worker_id: str | None
    kind: str
    due_on: date
    overdue: bool
    last_taken_on: date | None

    @property
    def label(self) -> str:
        return {"admission": "Admission reading", "discharge": "Discharge reading"}.get(self.kind,
                                                                                        "Star reading")

    @property
    def text(self) -> str:
        if self.kind == "review" and self.overdue and self.last_taken_on is not None:
            return f"Star reading overdue: the last was on {format_date(self.last_taken_on)}"
        return f"{self.label} {'was due' if self.overdue else 'due'} {format_date(self.due_on)}"


def _resident(s: Session, resident_id: str) -> Resident:
    r = s.get(Resident, resident_id)
    if r is None or r.archived:
        raise NotFound("That resident does not exist.")
    return r


def _stay_on(s: Session, resident_id: str, day: date) -> Admission | None:
    return s.scalars(select(Admission).where(
        Admission.resident_id == resident_id, Admission.archived.is_(False), Admission.admitted_on <= day,
        or_(Admission.discharged_on.is_(None), Admission.discharged_on >= day))
        .order_by(Admission.admitted_on.desc())).first()


def _definition(def_id: str, version: str) -> defs.StarDefinition | None:
    try:
        return defs.get(def_id, version)
    except (KeyError, defs.OutcomeStarDefinitionError):  # shown by its keys; the error shows on recording
        return None


def _views(s: Session, rows: list[StarReading]) -> list[StarReadingView]:
    from keyworker.residents import account_names

    if not rows:
        return []
    names = account_names(s)
    scores: dict[str, dict[str, tuple[int, str]]] = {}
    for rid, key, score, note in s.execute(select(StarScore.reading_id, StarScore.area_key, StarScore.score,
                                                  StarScore.note).where(StarScore.reading_id.in_([r.id for r in rows]))):
        scores.setdefault(rid, {})[key] = (score, note or "")
    out = []
    for r in rows:
        d = _definition(r.definition_id, r.definition_version)
        mine = scores.get(r.id, {})
        if d is not None:
            order = [(a.key, a.name) for a in d.areas if a.key in mine]
            order += [(k, k.replace("_", " ").capitalize()) for k in mine if d.area(k) is None]
        else:  # a definition no longer installed: the keys, in words
            order = [(k, k.replace("_", " ").capitalize()) for k in mine]
        areas = tuple(AreaScore(k, name, mine[k][0], _stage_name(d, mine[k][0]), mine[k][1]) for k, name in order)
        out.append(StarReadingView(r.id, r.resident_id, r.admission_id, r.taken_on, r.stage, r.definition_id,
                                   r.definition_version, d.name if d else r.definition_id, areas, r.completed_by,
                                   r.note or "", r.created_at, names.get(r.created_by or "", ""), r.supersedes_id,
                                   r.superseded_by_id, r.correction_reason))
    return out


def _stage_name(d: defs.StarDefinition | None, score: int) -> str:
    if d is None:
        return ""
    try:
        return d.stage_for(score).name
    except ValueError:
        return ""


def _readings_of(s: Session, resident_id: str, admission_id: str | None = None,
                 include_superseded: bool = False) -> list[StarReading]:
    """The resident's readings, oldest first; a corrected reading is left out unless asked."""
    q = select(StarReading).where(StarReading.resident_id == resident_id, StarReading.archived.is_(False))
    if not include_superseded:
        q = q.where(StarReading.superseded_by_id.is_(None))
    if admission_id:
        q = q.where(StarReading.admission_id == admission_id)
    return list(s.scalars(q.order_by(StarReading.taken_on, StarReading.created_at)))


def distance_between(first: StarReadingView, latest: StarReadingView) -> StarDistance:
    """Per area scored in both: first → latest, the change and the stage moved (no database)."""
    mine = {a.key: a for a in first.scores}
    areas = tuple(AreaDistance(a.key, a.name, mine[a.key].score, a.score, mine[a.key].stage, a.stage)
                  for a in latest.scores if a.key in mine)
    return StarDistance(first, latest, areas)


class OutcomeStarService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return local_today(self._book.clock)

    # -- writing -------------------------------------------------------------------------------
    def _clean(self, s: Session, data: StarReadingInput | Mapping[str, Any],
               replacing: StarReading | None = None) -> tuple[dict[str, Any], defs.StarDefinition, Admission]:
        fields = dict(form_fields(data))
        today = self._today()
        if fields.get("taken_on") in (None, ""):
            fields["taken_on"] = today
        c = Cleaner(fields)
        c.text("resident_id", "Resident", required=True, max_len=36)
        c.date("taken_on", "Date of the reading", required=True, not_after=today)
        c.listed("stage", "When in the stay", STAGES, required=True)
        c.text("completed_by", "Completed by", max_len=200)
        c.text("note", "Note on the reading", max_len=NOTE_MAX)
        errors = dict(c.errors)
        values = dict(c.values)
        try:
            d = (defs.get(fields["definition_id"], fields.get("definition_version") or None)
                 if fields.get("definition_id") else defs.current())
        except KeyError:
            raise ValidationError({"definition_id": "That Outcome Star definition is not installed on this computer."}) from None
        except defs.OutcomeStarDefinitionError as e:  # a broken file: say which, and what is wrong
            raise ValidationError({"definition_id": f"The Outcome Star definition cannot be used: {e}"}) from None
        scores = fields.get("scores")
        notes = fields.get("notes") or {}
        if not isinstance(scores, Mapping):
            errors["scores"] = "Score every area from 1 to 10."
            scores = {}
        if not isinstance(notes, Mapping):
            errors["notes"] = "The notes must be given per area."
            notes = {}
        clean_scores: dict[str, int] = {}
        for a in d.areas:
            v = scores.get(a.key)
            if v is None or v == "":
                errors[f"scores.{a.key}"] = f"{a.name}: give a score from 1 to 10."
            elif isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10:
                errors[f"scores.{a.key}"] = f"{a.name}: the score must be a whole number from 1 to 10."
            else:
                clean_scores[a.key] = v
        for k in scores:
            if d.area(str(k)) is None:
                errors[f"scores.{k}"] = f"{k} is not an area of the {d.name} Star."
        clean_notes: dict[str, str] = {}
        for k, v in notes.items():
            noted = d.area(str(k))
            if noted is None:
                errors[f"notes.{k}"] = f"{k} is not an area of the {d.name} Star."
            elif v is None or (isinstance(v, str) and not v.strip()):
                continue
            elif not isinstance(v, str) or len(v) > NOTE_MAX:
                errors[f"notes.{k}"] = f"{noted.name}: the note must be text of {NOTE_MAX} characters or fewer."
            else:
                clean_notes[noted.key] = v.strip()
        if errors:
            raise ValidationError(errors)
        _resident(s, values["resident_id"])
        on: date = values["taken_on"]
        stay = _stay_on(s, values["resident_id"], on)
        if stay is None:
            raise ValidationError({"taken_on": f"The resident was not staying with the unit on {format_date(on)}. "
                                               "A reading is taken during a stay, from the admission date to "
                                               "the discharge date."})
        stage = values["stage"]
        earlier = [r for r in _readings_of(s, values["resident_id"], stay.id)
                   if replacing is None or r.id != replacing.id]
        if stage == "admission":
            if any(r.stage == "admission" for r in earlier):
                raise ValidationError({"stage": "This stay already has its admission reading. Record this one as "
                                                "a reading during the stay."})
            if any(r.taken_on < on for r in earlier):
                raise ValidationError({"stage": "The admission reading is the first of the stay; there is an "
                                                "earlier reading. Record this one as a reading during the stay."})
            if on > stay.admitted_on + timedelta(days=ADMISSION_WITHIN_DAYS):
                raise ValidationError({"stage": f"An admission reading is taken in the first 4 weeks (by "
                                                f"{format_date(stay.admitted_on + timedelta(days=ADMISSION_WITHIN_DAYS))}). "
                                                "Record this one as a reading during the stay."})
        if stage == "discharge":
            if any(r.stage == "discharge" for r in earlier):
                raise ValidationError({"stage": "This stay already has its discharge reading."})
            planned = s.scalar(select(func.count()).select_from(DischargePlan).where(
                DischargePlan.admission_id == stay.id, DischargePlan.archived.is_(False)))
            if not planned and stay.discharged_on is None:
                raise ValidationError({"stage": "A discharge reading is taken once the discharge is planned (the "
                                                "stay has a discharge plan) or the stay has ended. Record this one "
                                                "as a reading during the stay."})
        values["completed_by"] = values.get("completed_by") or self._book.actor.full_name
        return {**values, "scores": clean_scores, "notes": clean_notes}, d, stay

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record(self, data: StarReadingInput) -> StarReadingView:
        """Record a reading of the resident's stay that covers its date (rules in the module's
        docstring); the reading keeps the definition and version it was scored on."""
        with self._book._write() as s:
            v, d, stay = self._clean(s, data)
            return self._write_reading(s, v, d, stay, None, "")

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def correct(self, reading_id: str, data: StarReadingInput, reason: str) -> StarReadingView:
        """Correct a reading (a score mistyped, the wrong date): a new reading supersedes it, with
        the reason; the original stays in the history, and only the correction counts."""
        reason = clean_reason(reason)
        with self._book._write() as s:
            old = current_row(s, StarReading, reading_id, "reading")
            if old.resident_id != data.resident_id:
                raise ValidationError({"resident_id": "A correction is for the same resident. Record the reading "
                                                      "for the other resident instead."})
            v, d, stay = self._clean(s, data, replacing=old)
            return self._write_reading(s, v, d, stay, old, reason)

    def _write_reading(self, s: Session, v: dict[str, Any], d: defs.StarDefinition, stay: Admission,
                       old: StarReading | None, reason: str) -> StarReadingView:
        x = StarReading(resident_id=v["resident_id"], admission_id=stay.id, taken_on=v["taken_on"],
                        stage=v["stage"], definition_id=d.id, definition_version=d.version,
                        completed_by=v["completed_by"], note=v.get("note"))
        if old is not None:
            supersede(s, old, x, reason)
        else:
            s.add(x)
            s.flush([x])
        for a in d.areas:
            s.add(StarScore(reading_id=x.id, area_key=a.key, score=v["scores"][a.key], note=v["notes"].get(a.key)))
        s.flush()
        self._book._record(s, "outcome_star.correct" if old else "outcome_star.record", "star_reading", x.id,
                           resident_id=x.resident_id,
                           detail={"taken_on": x.taken_on.isoformat(), "stage": x.stage, "definition": d.name,
                                   "version": d.version, **({"supersedes": old.id} if old else {})})
        return _views(s, [x])[0]

    # -- reading -------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def readings(self, resident_id: str, include_superseded: bool = False) -> list[StarReadingView]:
        """Every reading of the resident over every stay, newest first; corrected ones too if asked
        (each just after the correction that replaced it)."""
        with self._book._write() as s:
            _resident(s, resident_id)
            rows = _readings_of(s, resident_id, include_superseded=include_superseded)
            self._book._record(s, "outcome_star.history", "resident", resident_id, resident_id=resident_id)
            return list(reversed(_views(s, rows)))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def reading(self, reading_id: str) -> StarReadingView:
        with self._book._write() as s:
            x = s.get(StarReading, reading_id)
            if x is None or x.archived:
                raise NotFound("That Outcome Star reading does not exist.")
            # (a corrected reading is still shown, marked, when asked for by id)
            self._book._record(s, "outcome_star.view", "star_reading", x.id, resident_id=x.resident_id)
            return _views(s, [x])[0]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def distance(self, resident_id: str, from_id: str | None = None, to_id: str | None = None) -> StarDistance | None:
        """Distance travelled per area from one reading to another: by default the first and the
        latest reading of the resident's latest stay with readings. None with fewer than two."""
        with self._book._write() as s:
            _resident(s, resident_id)
            rows = _readings_of(s, resident_id)
            by_id = {r.id: r for r in rows}
            for given, name in ((from_id, "from_id"), (to_id, "to_id")):
                if given is not None and given not in by_id:
                    raise ValidationError({name: "That reading is not one of this resident's."})
            self._book._record(s, "outcome_star.distance", "resident", resident_id, resident_id=resident_id)
            to_row: StarReading | None
            if to_id is None and from_id is not None:
                to_row = [r for r in rows if r.admission_id == by_id[from_id].admission_id][-1]
            else:
                to_row = by_id[to_id] if to_id else (rows[-1] if rows else None)
            if to_row is None:
                return None
            from_row = by_id[from_id] if from_id else [r for r in rows if r.admission_id == to_row.admission_id][0]
            if from_row.id == to_row.id:
                return None
            first, latest = _views(s, [from_row, to_row])
            return distance_between(first, latest)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def due(self, resident_id: str) -> StarDue:
        """The suggestion for the current stay (see StarDue)."""
        with self._book._write() as s:
            _resident(s, resident_id)
            self._book._record(s, "outcome_star.due", "resident", resident_id, resident_id=resident_id)
            return self._due(s, resident_id)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def unit_due(self, scope: str = "mine") -> list[StarDueRow]:
        """Admission readings missing (from the first day: the baseline is best taken early), and
        readings overdue or due within a week, for the current stays, soonest first: `scope`
        "mine" the signed-in user's residents, "unit" everyone's. One query for the unit (the
        stays joined to their readings' figures and to their discharge plans); rows only, for
        Today (not audited, like TOPs due)."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose your residents or the whole unit."},
                                  "Choose your residents or the whole unit.")
        where = Admission.key_worker_id == self._book.actor.id if scope == "mine" else None
        with self._book._read() as s:
            soon = self._today() + timedelta(days=DUE_SOON_DAYS)
            return [r for r in self._due_rows(s, where) if r.kind == "admission" or r.due_on <= soon]

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def alerts(self, resident_id: str) -> list[StarDueRow]:
        """For the record's header: the current stay's admission reading missing, or a reading
        overdue (rows only; not audited)."""
        with self._book._read() as s:
            return [r for r in self._due_rows(s, Admission.resident_id == resident_id)
                    if r.overdue or r.kind == "admission"]

    def _due_rows(self, s: Session, where: Any) -> list[StarDueRow]:
        today = self._today()

        # Only the current stays' readings and plans are aggregated (through the admission index), so
        # the list grows with the unit's current residents, not with every reading ever taken.
        open_stays = select(Admission.id).where(Admission.archived.is_(False),
                                                Admission.discharged_on.is_(None))
        if where is not None:  # one resident's (the record's header): aggregate only their stay
            open_stays = open_stays.where(where)
        live = (StarReading.archived.is_(False), StarReading.superseded_by_id.is_(None),
                StarReading.admission_id.in_(open_stays))
        figures = (select(StarReading.admission_id.label("aid"),
                          func.max(StarReading.taken_on).label("last_on"),
                          func.sum(case((StarReading.stage == "discharge", 1), else_=0)).label("exits"))
                   .where(*live).group_by(StarReading.admission_id).subquery())
        plans = (select(DischargePlan.admission_id.label("aid"),
                        func.max(DischargePlan.planned_date).label("planned"), func.count().label("n"))
                 .where(DischargePlan.archived.is_(False), DischargePlan.admission_id.in_(open_stays))
                 .group_by(DischargePlan.admission_id).subquery())
        q = (select(Admission.id, Admission.resident_id, Admission.key_worker_id, Admission.admitted_on,
                    Resident.given_name, Resident.preferred_name, Resident.family_name, Resident.reference,
                    figures.c.last_on, figures.c.exits, plans.c.n, plans.c.planned)
             .join(Resident, Resident.id == Admission.resident_id)
             .outerjoin(figures, figures.c.aid == Admission.id)
             .outerjoin(plans, plans.c.aid == Admission.id)
             .where(Admission.archived.is_(False), Admission.discharged_on.is_(None),
                    Resident.archived.is_(False), Admission.admitted_on <= today))
        if where is not None:
            q = q.where(where)
        out: list[StarDueRow] = []
        for r in s.execute(q):
            if r.last_on is None:
                kind, due_on = "admission", r.admitted_on + timedelta(days=ADMISSION_WITHIN_DAYS)
            elif r.n and not r.exits:
                kind, due_on = "discharge", r.planned or today
            elif r.n:
                continue  # discharge planned and its reading taken: nothing more for this stay
            else:
                kind, due_on = "review", r.last_on + timedelta(days=EVERY_DAYS)
            name = f"{r.preferred_name or r.given_name} {r.family_name}"
            out.append(StarDueRow(r.resident_id, r.id, name, r.reference, r.key_worker_id, kind, due_on,
                                  today > due_on, r.last_on))
        return sorted(out, key=lambda x: (x.due_on, x.resident_name))

    def _due(self, s: Session, resident_id: str) -> StarDue:
        today = self._today()
        stay = s.scalars(select(Admission).where(Admission.resident_id == resident_id, Admission.archived.is_(False),
                                                 Admission.discharged_on.is_(None))
                         .order_by(Admission.admitted_on.desc())).first()
        if stay is None:
            return StarDue(None, False, None, False, False, None, "")
        rows = _readings_of(s, resident_id, stay.id)
        last = rows[-1].taken_on if rows else None
        missing = not any(r.stage == "admission" for r in rows)
        planned = bool(s.scalar(select(func.count()).select_from(DischargePlan).where(
            DischargePlan.admission_id == stay.id, DischargePlan.archived.is_(False))))
        discharge_due = planned and not any(r.stage == "discharge" for r in rows)
        if missing and not rows:
            next_on = stay.admitted_on
        else:
            next_on = (last or stay.admitted_on) + timedelta(days=EVERY_DAYS)
        overdue = today > next_on
        if missing and not rows:
            message = "The admission reading has not been recorded yet."
        elif discharge_due:
            message = "Discharge is planned: take the discharge reading at discharge."
        elif overdue:
            message = f"A reading is overdue: the last was on {format_date(last)}; one is suggested every 4 weeks."
        else:
            message = f"Next reading suggested by {format_date(next_on)} (every 4 weeks)."
        return StarDue(stay.id, missing, next_on, overdue, discharge_due, last, message)

    def counts(self, session: Session) -> dict[str, Any]:
        n = session.scalar(select(func.count()).select_from(StarReading).where(
            StarReading.archived.is_(False), StarReading.superseded_by_id.is_(None)))
        return {"star_readings": int(n or 0)}

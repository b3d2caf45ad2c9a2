"""Key-work sessions, interventions and group sessions (`book.key_work`, issue 11).

A session is one resident's: when, how long, what type, the outcome (a session not attended or
cancelled says why), the care plan goals worked on (progress typed here is added, dated, to the
goal's progress notes in the care plan, in the same transaction), notes and follow-up actions.
A group is recorded once with its register; each attendee's record shows it. Everything is
append-only: a correction is a new row that supersedes the old one, with a reason, and both stay.
Key workers and seniors record; anyone who reads records reads them (nights included)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from keyworker.clock import LONDON, format_date, local_today
from keyworker.corrections import clean_reason, current_row
from keyworker.db.care_plans import CarePlan, CarePlanVersion
from keyworker.db.caseload import Admission, Resident
from keyworker.db.key_work import GroupAttendance, GroupSession, KeyWorkSession
from keyworker.errors import NotFound, ValidationError
from keyworker.input_types import typed_inputs
from keyworker.key_work_input import (
    ATTENDANCE_LABELS,
    OUTCOME_LABELS,
    TYPE_LABELS,
    GroupInput,
    SessionInput,
    progress_line,
    validate_group,
    validate_session,
)
from keyworker import note_search
from keyworker.key_work_links import index_text, unindex_text
from keyworker.security.permissions import Permission
from keyworker.timeline import TimelineEntry, register_timeline_source

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

DUE_AHEAD_DAYS = 7  # Today lists follow-up actions due within a week, and those overdue
DUE_BEHIND_DAYS = 14  # ... up to two weeks late (older ones are the review's to pick up)


# -- what the service returns ----------------------------------------------------------------------
@dataclass(frozen=True)
class GoalWorked:
    goal_id: str
    goal: str  # the goal's words when the session was recorded
    progress: str


@dataclass(frozen=True)
class FollowUpAction:
    what: str
    who: str
    by_when: date | None


@dataclass(frozen=True)
class SessionView:
    id: str
    resident_id: str
    admission_id: str
    held_on: date
    start_time: str
    duration_minutes: int
    kind: str
    intervention: str | None
    outcome: str
    outcome_reason: str | None
    goals: tuple[GoalWorked, ...]
    notes: str | None
    follow_ups: tuple[FollowUpAction, ...]
    recorded_at: datetime
    recorded_by_name: str
    supersedes_id: str | None
    superseded_by_id: str | None
    correction_reason: str | None

    @property
    def kind_label(self) -> str:
        return TYPE_LABELS.get(self.kind, "Other")

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None

    @property
    def title(self) -> str:
        what = self.kind_label + (f" ({self.intervention})" if self.intervention else "")
        return f"{what}: {self.outcome_label.lower()}"

    @property
    def when_text(self) -> str:
        return f"{format_date(self.held_on)} {self.start_time}, {self.duration_minutes} min"

    @property
    def text(self) -> str:
        """Everything typed, for the timeline and the full-text search."""
        parts = [self.outcome_reason or "", self.notes or ""]
        parts += [f"{g.goal}: {g.progress}" if g.progress else g.goal for g in self.goals]
        parts += [f"Follow-up: {f.what} ({f.who}{', by ' + format_date(f.by_when) if f.by_when else ''})"
                  for f in self.follow_ups]
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class AttendanceView:
    resident_id: str
    name: str
    reference: str
    attendance: str
    note: str | None

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE_LABELS.get(self.attendance, self.attendance)


@dataclass(frozen=True)
class GroupView:
    id: str
    title: str
    kind: str
    held_on: date
    start_time: str
    duration_minutes: int
    facilitators: str
    notes: str | None
    register: tuple[AttendanceView, ...]
    recorded_at: datetime
    recorded_by_name: str
    supersedes_id: str | None
    superseded_by_id: str | None
    correction_reason: str | None

    @property
    def kind_label(self) -> str:
        return TYPE_LABELS.get(self.kind, "Other")

    @property
    def superseded(self) -> bool:
        return self.superseded_by_id is not None


@dataclass(frozen=True)
class GroupEntry:
    """A group as one resident's record shows it: the group and their line of the register."""

    group_id: str
    title: str
    kind: str
    held_on: date
    start_time: str
    duration_minutes: int
    facilitators: str
    attendance: str
    note: str | None
    recorded_at: datetime
    recorded_by_name: str
    superseded: bool
    correction_reason: str | None

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE_LABELS.get(self.attendance, self.attendance)

    @property
    def title_text(self) -> str:
        return f"Group: {self.title}: {self.attendance_label.lower()}"


@dataclass(frozen=True)
class TypeCount:
    kind: str
    label: str
    count: int  # sessions that took place (attended), groups attended included
    first_on: date
    last_on: date


@dataclass(frozen=True)
class InterventionSummary:
    """One stay's interventions, for the discharge letter and the quarterly report."""

    admission_id: str
    resident_id: str
    types: tuple[TypeCount, ...]  # in SESSION_TYPES order, only types with sessions
    attended: int
    did_not_attend: int
    cancelled: int
    excused: int
    first_on: date | None
    last_on: date | None

    @property
    def attendance_rate(self) -> float | None:
        """Attended / (attended + did not attend); cancelled and excused do not count."""
        offered = self.attended + self.did_not_attend
        return self.attended / offered if offered else None

    @property
    def rate_text(self) -> str:
        rate = self.attendance_rate
        if rate is None:
            return "No sessions yet"
        return f"{round(rate * 100)}% attended ({self.attended} of {self.attended + self.did_not_attend})"


@dataclass(frozen=True)
class RegisterRow:
    resident_id: str
    admission_id: str
    name: str
    reference: str


@dataclass(frozen=True)
class FollowUpDue:
    session_id: str
    resident_id: str
    name: str
    reference: str
    what: str
    who: str
    by_when: date
    overdue: bool


# -- rows to views -------------------------------------------------------------------------------
def _session_view(x: KeyWorkSession, names: Mapping[str, str]) -> SessionView:
    goals = tuple(GoalWorked(g["goal_id"], g.get("goal", ""), g.get("progress", "")) for g in json.loads(x.goals or "[]"))
    follow = tuple(FollowUpAction(f["what"], f["who"], date.fromisoformat(f["by_when"]) if f.get("by_when") else None)
                   for f in json.loads(x.follow_ups or "[]"))
    return SessionView(x.id, x.resident_id, x.admission_id, x.held_on, x.start_time, x.duration_minutes, x.kind,
                       x.intervention, x.outcome, x.outcome_reason, goals, x.notes, follow, x.created_at,
                       names.get(x.created_by or "", ""), x.supersedes_id, x.superseded_by_id, x.correction_reason)


def _names(s: Session) -> dict[str, str]:
    from keyworker.residents import account_names

    return account_names(s)


def _resident(s: Session, resident_id: str) -> Resident:
    r = s.get(Resident, resident_id)
    if r is None or r.archived:
        raise NotFound("That resident does not exist.")
    return r


def admission_on(s: Session, resident_id: str, day: date) -> Admission | None:
    """The resident's stay that covers `day` (a session may be recorded after discharge)."""
    return s.scalars(select(Admission).where(
        Admission.resident_id == resident_id, Admission.archived.is_(False), Admission.admitted_on <= day,
        or_(Admission.discharged_on.is_(None), Admission.discharged_on >= day))
        .order_by(Admission.admitted_on.desc())).first()


def _session_search_text(x: KeyWorkSession) -> str:
    view = _session_view(x, {})
    return view.title + "\n" + view.text


note_search.register_source("key_work_sessions", "session", KeyWorkSession, _session_search_text)


class KeyWorkService:
    def __init__(self, book: Casebook) -> None:
        self._book = book

    def _today(self) -> date:
        return local_today(self._book.clock)

    # -- sessions ----------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record(self, data: SessionInput) -> SessionView:
        """Record a session; progress typed against a goal goes into the care plan too."""
        values = self._clean(data)
        with self._book._write() as s:
            x = self._write_session(s, values, None, "")
            return _session_view(x, _names(s))

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def correct(self, session_id: str, data: SessionInput, reason: str) -> SessionView:
        """Correct a session: a new record supersedes it, with the reason; the old one stays."""
        values = self._clean(data)
        reason = clean_reason(reason)
        with self._book._write() as s:
            old = current_row(s, KeyWorkSession, session_id, "session")
            if old.resident_id != values["resident_id"]:
                raise ValidationError({"resident_id": "A correction is for the same resident. Record the "
                                                      "session for the other resident instead."})
            x = self._write_session(s, values, old, reason)
            return _session_view(x, _names(s))

    def _clean(self, data: SessionInput) -> dict[str, Any]:
        values, errors = validate_session(data, today=self._today())
        if errors:
            raise ValidationError(errors)
        return values

    def _write_session(self, s: Session, values: dict[str, Any], old: KeyWorkSession | None,
                       reason: str) -> KeyWorkSession:
        book = self._book
        _resident(s, values["resident_id"])
        adm = admission_on(s, values["resident_id"], values["held_on"])
        if adm is None:
            raise ValidationError({"held_on": f"The resident was not staying in the unit on "
                                              f"{format_date(values['held_on'])}."})
        goals = values.pop("goals")
        follow_ups = values.pop("follow_ups")
        already = {(g["goal_id"], g.get("progress", "")) for g in json.loads(old.goals)} if old else set()
        worked = self._goals_in_plan(s, adm, goals)
        x = KeyWorkSession(**values, admission_id=adm.id, goals=json.dumps(worked, ensure_ascii=False),
                           follow_ups=json.dumps(follow_ups, ensure_ascii=False),
                           supersedes_id=old.id if old else None, correction_reason=reason or None)
        s.add(x)
        s.flush([x])
        if old is not None:
            old.superseded_by_id = x.id
            unindex_text(s, "session", old.id)
        book._record(s, "key_work.correct" if old else "key_work.record", "key_work_session", x.id,
                     resident_id=x.resident_id,
                     detail={"kind": x.kind, "held_on": x.held_on.isoformat(), "outcome": x.outcome,
                             "goals": len(worked), **({"supersedes": old.id} if old else {})})
        new_progress = [g for g in worked if g["progress"] and (g["goal_id"], g["progress"]) not in already]
        if new_progress:
            self._progress_into_plan(s, adm, x, new_progress)
        index_text(s, x.resident_id, "session", x.id, _session_search_text(x))
        return x

    def _goals_in_plan(self, s: Session, adm: Admission, goals: list[dict[str, str]]) -> list[dict[str, str]]:
        if not goals:
            return []
        plan = s.scalars(select(CarePlan).where(CarePlan.admission_id == adm.id)).first()
        version = s.get(CarePlanVersion, plan.current_version_id) if plan and plan.current_version_id else None
        if version is None:
            raise ValidationError({"goals": "This resident has no care plan goals yet."})
        from keyworker.care_plans import PlanContent

        content = PlanContent.from_json(version.content)
        out = []
        for n, g in enumerate(goals):
            goal = content.goal(g["goal_id"])
            if goal is None:
                raise ValidationError({f"goals.{n}.goal_id": "That goal is not in the resident's current care plan."})
            out.append({"goal_id": goal.id, "goal": goal.goal, "progress": g["progress"]})
        return out

    def _progress_into_plan(self, s: Session, adm: Admission, x: KeyWorkSession, worked: list[dict[str, str]]) -> None:
        """The goal's progress notes gain a dated line: a new version of a complete plan (its reason
        names the session), or the draft updated in place."""
        from keyworker.care_plans import PlanContent

        self._book.require(Permission.EDIT_CARE_PLANS)
        plan = s.scalars(select(CarePlan).where(CarePlan.admission_id == adm.id)).first()
        assert plan is not None and plan.current_version_id is not None
        version = s.get(CarePlanVersion, plan.current_version_id)
        assert version is not None
        content = PlanContent.from_json(version.content)
        for g in worked:
            goal = content.goal(g["goal_id"])
            if goal is not None:
                line = progress_line(x.held_on, g["progress"])
                goal.progress_notes = f"{goal.progress_notes}\n{line}".strip() if goal.progress_notes else line
        if plan.status == "complete":
            try:
                self._book.care_plans._revise_in(s, plan.id, content,
                                                 f"Progress from the key-work session of {format_date(x.held_on)}")
            except ValidationError as e:
                raise ValidationError({"goals": "The care plan could not take this progress: " + str(e)}) from e
        else:
            version.content = content.to_json()
            self._book._record(s, "care_plan.save_draft", "care_plan", plan.id, resident_id=plan.resident_id,
                               detail={"version": version.number, "sections": ["goals"], "session_id": x.id})

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get(self, session_id: str) -> SessionView:
        with self._book._write() as s:
            x = s.get(KeyWorkSession, session_id)
            if x is None or x.archived:
                raise NotFound("That session does not exist.")
            self._book._record(s, "key_work.view", "key_work_session", x.id, resident_id=x.resident_id)
            return _session_view(x, _names(s))

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def for_resident(self, resident_id: str, include_superseded: bool = False) -> list[SessionView]:
        """The resident's sessions over every stay, newest first; corrected ones too if asked."""
        with self._book._write() as s:
            _resident(s, resident_id)
            rows = self._sessions(s, resident_id, include_superseded)
            self._book._record(s, "key_work.history", "resident", resident_id, resident_id=resident_id)
            names = _names(s)
            return [_session_view(x, names) for x in rows]

    def _sessions(self, s: Session, resident_id: str, include_superseded: bool,
                  date_from: date | None = None, date_to: date | None = None) -> list[KeyWorkSession]:
        q = select(KeyWorkSession).where(KeyWorkSession.resident_id == resident_id, KeyWorkSession.archived.is_(False))
        if not include_superseded:
            q = q.where(KeyWorkSession.superseded_by_id.is_(None))
        if date_from:
            q = q.where(KeyWorkSession.held_on >= date_from)
        if date_to:
            q = q.where(KeyWorkSession.held_on <= date_to)
        return list(s.scalars(q.order_by(KeyWorkSession.held_on.desc(), KeyWorkSession.start_time.desc(),
                                         KeyWorkSession.created_at.desc())))

    # -- groups ------------------------------------------------------------------------------
    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def register_candidates(self, on: date | None = None) -> list[RegisterRow]:
        """The residents staying on `on` (default today), by name: the register to mark.
        A list of names only, so not audited."""
        day = on or self._today()
        with self._book._read() as s:
            rows = s.execute(select(Resident.id, Admission.id, Resident.given_name, Resident.family_name,
                                    Resident.reference)
                             .join(Admission, Admission.resident_id == Resident.id)
                             .where(Admission.archived.is_(False), Resident.archived.is_(False),
                                    Admission.admitted_on <= day,
                                    or_(Admission.discharged_on.is_(None), Admission.discharged_on >= day))
                             .order_by(Resident.family_name, Resident.given_name)).all()
        return [RegisterRow(r[0], r[1], f"{r[2]} {r[3]}", r[4]) for r in rows]

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def record_group(self, data: GroupInput) -> GroupView:
        """A group recorded once; each resident on the register sees it on their record."""
        values = self._clean_group(data)
        with self._book._write() as s:
            g = self._write_group(s, values, None, "")
            return self._group_view(s, g)

    @typed_inputs(requires=Permission.RECORD_KEY_WORK)
    def correct_group(self, group_id: str, data: GroupInput, reason: str) -> GroupView:
        """Correct a group (its details or its register): a new record supersedes it, with the reason."""
        values = self._clean_group(data)
        reason = clean_reason(reason)
        with self._book._write() as s:
            old = current_row(s, GroupSession, group_id, "group session")
            g = self._write_group(s, values, old, reason)
            return self._group_view(s, g)

    def _clean_group(self, data: GroupInput) -> dict[str, Any]:
        values, errors = validate_group(data, today=self._today())
        if errors:
            raise ValidationError(errors)
        return values

    def _write_group(self, s: Session, values: dict[str, Any], old: GroupSession | None, reason: str) -> GroupSession:
        register = values.pop("register")
        stays: list[tuple[dict[str, Any], Admission]] = []
        for n, a in enumerate(register):
            res = s.get(Resident, a["resident_id"])
            adm = admission_on(s, a["resident_id"], values["held_on"]) if res is not None and not res.archived else None
            if adm is None:
                raise ValidationError({f"register.{n}.resident_id": "A resident on the register was not staying in "
                                                                   f"the unit on {format_date(values['held_on'])}."})
            stays.append((a, adm))
        g = GroupSession(**values, supersedes_id=old.id if old else None, correction_reason=reason or None)
        s.add(g)
        s.flush([g])
        s.add_all([GroupAttendance(group_id=g.id, resident_id=a["resident_id"], admission_id=adm.id,
                                   attendance=a["attendance"], note=a.get("note")) for a, adm in stays])
        if old is not None:
            old.superseded_by_id = g.id
        self._book._record(s, "key_work.group_correct" if old else "key_work.group_record", "group_session", g.id,
                           detail={"title": g.title, "held_on": g.held_on.isoformat(), "register": len(stays),
                                   "attended": sum(a["attendance"] == "attended" for a, _ in stays),
                                   **({"supersedes": old.id} if old else {})})
        return g

    def _group_view(self, s: Session, g: GroupSession) -> GroupView:
        rows = s.execute(select(GroupAttendance, Resident.given_name, Resident.family_name, Resident.reference)
                         .join(Resident, Resident.id == GroupAttendance.resident_id)
                         .where(GroupAttendance.group_id == g.id)
                         .order_by(Resident.family_name, Resident.given_name)).all()
        register = tuple(AttendanceView(a.resident_id, f"{gn} {fn}", ref, a.attendance, a.note) for a, gn, fn, ref in rows)
        return GroupView(g.id, g.title, g.kind, g.held_on, g.start_time, g.duration_minutes, g.facilitators, g.notes,
                         register, g.created_at, _names(s).get(g.created_by or "", ""), g.supersedes_id,
                         g.superseded_by_id, g.correction_reason)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def get_group(self, group_id: str) -> GroupView:
        """A group with its whole register (audited: it names every resident on it)."""
        with self._book._write() as s:
            g = s.get(GroupSession, group_id)
            if g is None or g.archived:
                raise NotFound("That group session does not exist.")
            self._book._record(s, "key_work.group_view", "group_session", g.id)
            return self._group_view(s, g)

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def groups_for_resident(self, resident_id: str, include_superseded: bool = False) -> list[GroupEntry]:
        """The groups the resident was on the register of, newest first (their own line only)."""
        with self._book._write() as s:
            _resident(s, resident_id)
            out = group_entries(s, resident_id, include_superseded)
            self._book._record(s, "key_work.groups", "resident", resident_id, resident_id=resident_id)
            return out

    # -- summary, Today, monitoring ----------------------------------------------------------------
    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def summary(self, admission_id: str) -> InterventionSummary:
        """Counts by type (sessions attended, groups attended), first and last dates, attendance."""
        with self._book._write() as s:
            adm = s.get(Admission, admission_id)
            if adm is None or adm.archived:
                raise NotFound("That admission does not exist.")
            out = summarise(s, adm)
            self._book._record(s, "key_work.summary", "admission", adm.id, resident_id=adm.resident_id)
            return out

    @typed_inputs(requires=Permission.VIEW_RESIDENTS)
    def follow_ups_due(self, scope: str = "mine") -> list[FollowUpDue]:
        """Follow-up actions of current sessions due within a week or up to two weeks late, for
        Today: the key worker's residents ("mine") or, for seniors, the unit's. Rows only."""
        if scope not in ("mine", "unit"):
            raise ValidationError({"scope": "Choose mine or unit."})
        today = self._today()
        q = (select(KeyWorkSession.id, KeyWorkSession.resident_id, KeyWorkSession.follow_ups, Resident.given_name,
                    Resident.family_name, Resident.reference)
             .join(Admission, Admission.id == KeyWorkSession.admission_id)
             .join(Resident, Resident.id == KeyWorkSession.resident_id)
             .where(KeyWorkSession.superseded_by_id.is_(None), KeyWorkSession.archived.is_(False),
                    KeyWorkSession.follow_ups != "[]", Admission.discharged_on.is_(None),
                    KeyWorkSession.held_on >= today - timedelta(days=120)))
        if scope == "mine":
            q = q.where(Admission.key_worker_id == self._book.actor.id)
        out = []
        with self._book._read() as s:
            for sid, rid, follow, gn, fn, ref in s.execute(q):
                for f in json.loads(follow):
                    by = date.fromisoformat(f["by_when"]) if f.get("by_when") else None
                    if by and today - timedelta(days=DUE_BEHIND_DAYS) <= by <= today + timedelta(days=DUE_AHEAD_DAYS):
                        out.append(FollowUpDue(sid, rid, f"{gn} {fn}", ref, f["what"], f["who"], by, by < today))
        out.sort(key=lambda d: (d.by_when, d.name))
        return out

    def counts(self, session: Session) -> dict[str, Any]:
        today = self._today()
        week, month = today - timedelta(days=6), today - timedelta(days=29)
        current = (KeyWorkSession.superseded_by_id.is_(None), KeyWorkSession.archived.is_(False))
        sessions = session.scalar(select(func.count()).select_from(KeyWorkSession)
                                  .where(*current, KeyWorkSession.held_on >= week, KeyWorkSession.held_on <= today))
        groups = session.scalar(select(func.count()).select_from(GroupSession)
                                .where(GroupSession.superseded_by_id.is_(None), GroupSession.archived.is_(False),
                                       GroupSession.held_on >= week, GroupSession.held_on <= today))
        outcomes = dict(session.execute(select(KeyWorkSession.outcome, func.count())
                                        .where(*current, KeyWorkSession.held_on >= month, KeyWorkSession.held_on <= today)
                                        .group_by(KeyWorkSession.outcome)).tuples().all())
        register = dict(session.execute(select(GroupAttendance.attendance, func.count())
                                        .join(GroupSession, GroupSession.id == GroupAttendance.group_id)
                                        .where(GroupSession.superseded_by_id.is_(None), GroupSession.archived.is_(False),
                                               GroupSession.held_on >= month, GroupSession.held_on <= today)
                                        .group_by(GroupAttendance.attendance)).tuples().all())
        attended = outcomes.get("attended", 0) + register.get("attended", 0)
        missed = outcomes.get("did_not_attend", 0) + register.get("did_not_attend", 0)
        rate = round(100 * missed / (attended + missed)) if attended + missed else 0
        return {"sessions_7d": int((sessions or 0) + (groups or 0)), "dna_rate_30d_pct": int(rate)}


def group_entries(s: Session, resident_id: str, include_superseded: bool = False,
                  date_from: date | None = None, date_to: date | None = None) -> list[GroupEntry]:
    q = (select(GroupSession, GroupAttendance.attendance, GroupAttendance.note)
         .join(GroupAttendance, GroupAttendance.group_id == GroupSession.id)
         .where(GroupAttendance.resident_id == resident_id, GroupSession.archived.is_(False)))
    if not include_superseded:
        q = q.where(GroupSession.superseded_by_id.is_(None))
    if date_from:
        q = q.where(GroupSession.held_on >= date_from)
    if date_to:
        q = q.where(GroupSession.held_on <= date_to)
    names = _names(s)

    def reason(g: GroupSession) -> str | None:
        """A superseded group's correction reason is on the group that replaced it (rare: a lookup)."""
        later = s.get(GroupSession, g.superseded_by_id) if g.superseded_by_id else None
        return later.correction_reason if later is not None else g.correction_reason

    return [GroupEntry(g.id, g.title, g.kind, g.held_on, g.start_time, g.duration_minutes, g.facilitators, att, note,
                       g.created_at, names.get(g.created_by or "", ""), g.superseded_by_id is not None, reason(g))
            for g, att, note in s.execute(q.order_by(GroupSession.held_on.desc(), GroupSession.start_time.desc()))]


def summarise(s: Session, adm: Admission) -> InterventionSummary:
    """The stay's interventions from its current sessions and registers (one query each)."""
    from keyworker.key_work_input import SESSION_TYPES

    sessions = s.execute(select(KeyWorkSession.kind, KeyWorkSession.outcome, KeyWorkSession.held_on)
                         .where(KeyWorkSession.admission_id == adm.id, KeyWorkSession.superseded_by_id.is_(None),
                                KeyWorkSession.archived.is_(False))).all()
    groups = s.execute(select(GroupSession.kind, GroupAttendance.attendance, GroupSession.held_on)
                       .join(GroupSession, GroupSession.id == GroupAttendance.group_id)
                       .where(GroupAttendance.admission_id == adm.id, GroupSession.superseded_by_id.is_(None),
                              GroupSession.archived.is_(False))).all()
    rows: Iterable[Any] = [*sessions, *groups]
    held: dict[str, list[date]] = {}
    tally = {"attended": 0, "did_not_attend": 0, "cancelled": 0, "excused": 0}
    for kind, outcome, day in rows:
        tally[outcome] = tally.get(outcome, 0) + 1
        if outcome == "attended":
            held.setdefault(kind, []).append(day)
    types = tuple(TypeCount(o.code, o.label, len(held[o.code]), min(held[o.code]), max(held[o.code]))
                  for o in SESSION_TYPES if o.code in held)
    days = [d for ds in held.values() for d in ds]
    return InterventionSummary(adm.id, adm.resident_id, types, tally["attended"], tally["did_not_attend"],
                               tally["cancelled"], tally["excused"], min(days) if days else None,
                               max(days) if days else None)


__all__ = ["FollowUpDue", "GroupEntry", "GroupView", "InterventionSummary", "KeyWorkService", "SessionView",
           "TypeCount"]


# -- the resident's timeline (the Notes tab, keyworker/timeline.py) ------------------------------------
def _at(day: date, start: str) -> datetime:
    hour, minute = (int(p) for p in start.split(":"))
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC)


def timeline_entries(s: Session, resident_id: str, date_from: date | None, date_to: date | None) -> list[TimelineEntry]:
    """Each session of the resident and each group they were on the register of, corrected ones
    included (shown as superseded, with the reason)."""
    names = _names(s)
    out = []
    rows = self_sessions(s, resident_id, date_from, date_to)
    reasons = {x.supersedes_id: x.correction_reason or "" for x in rows if x.supersedes_id}
    for x in rows:
        v = _session_view(x, names)
        # A superseded entry shows why it was corrected (the reason is on the row that replaced it).
        why = reasons.get(v.id, "") if v.superseded else v.correction_reason or ""
        out.append(TimelineEntry("session", v.id, resident_id, _at(v.held_on, v.start_time), v.title,
                                 v.text, v.recorded_by_name, v.superseded, why, v.supersedes_id))
    for g in group_entries(s, resident_id, True, date_from, date_to):
        body = "\n".join(p for p in (f"Facilitators: {g.facilitators}", g.note or "") if p)
        out.append(TimelineEntry("session", g.group_id, resident_id, _at(g.held_on, g.start_time), g.title_text,
                                 body, g.recorded_by_name, g.superseded, g.correction_reason or ""))
    return out


def self_sessions(s: Session, resident_id: str, date_from: date | None, date_to: date | None) -> list[KeyWorkSession]:
    q = select(KeyWorkSession).where(KeyWorkSession.resident_id == resident_id, KeyWorkSession.archived.is_(False))
    if date_from:
        q = q.where(KeyWorkSession.held_on >= date_from)
    if date_to:
        q = q.where(KeyWorkSession.held_on <= date_to)
    return list(s.scalars(q))


register_timeline_source("session", "Key-work sessions", timeline_entries)

"""What a key worker records about daily key work (issue 11): the vocabulary of session types and
outcomes, the input dataclasses of `book.key_work`, and their validation (messages for a person,
keyed by field). No database here: keyworker/key_work.py writes what this has cleaned."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from keyworker import reference_data as ref
from keyworker.clock import format_date
from keyworker.input_types import form_fields
from keyworker.validation import Cleaner

# Contract 4.1.6, 4.3-4.4: the interventions of the core and enhanced strands.
SESSION_TYPES: tuple[ref.Option, ...] = (
    ref.Option("one_to_one", "One-to-one key work"),
    ref.Option("group", "Group"),
    ref.Option("psychosocial", "Psychosocial intervention"),
    ref.Option("harm_reduction", "Harm-reduction advice"),
    ref.Option("health_screening", "Physical or mental health screening"),
    ref.Option("bbv", "Blood-borne virus advice, screening or treatment"),
    ref.Option("gp_registration", "GP registration"),
    ref.Option("living_skills", "Independent living skills"),
    ref.Option("family", "Family session"),
    ref.Option("recreational", "Recreational activity"),
    ref.Option("other", "Other"),
)
TYPE_LABELS = {o.code: o.label for o in SESSION_TYPES}
# Suggestions for "which intervention" (free text: a unit names its own programmes).
PSYCHOSOCIAL = ("Motivational interviewing", "Relapse prevention", "Cognitive behavioural therapy",
                "Contingency management", "Mutual aid facilitation (12-step, SMART)", "Trauma-informed work")

OUTCOMES: tuple[ref.Option, ...] = (
    ref.Option("attended", "Attended"),
    ref.Option("did_not_attend", "Did not attend"),
    ref.Option("cancelled", "Cancelled"),
)
OUTCOME_LABELS = {o.code: o.label for o in OUTCOMES}
NEEDS_REASON = ("did_not_attend", "cancelled")
REASON_NEEDED = {"did_not_attend": "Say why the resident did not attend (the reason is required).",
                 "cancelled": "Say why the session was cancelled (the reason is required)."}

ATTENDANCE: tuple[ref.Option, ...] = (
    ref.Option("attended", "Attended"),
    ref.Option("did_not_attend", "Did not attend"),
    ref.Option("excused", "Excused"),
)
ATTENDANCE_LABELS = {o.code: o.label for o in ATTENDANCE}

MAX_MINUTES = 8 * 60
MAX_NOTES = 20_000
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass
class GoalWork:
    """A care plan goal worked on in the session; `progress` (if any) is added to the goal's
    progress notes in the care plan, dated, in the same transaction."""

    goal_id: str
    progress: str = ""


@dataclass
class FollowUp:
    what: str
    who: str
    by_when: date | None = None


@dataclass
class SessionInput:
    resident_id: str
    held_on: date | str | None
    start_time: time | str | None
    duration_minutes: int | str | None
    kind: str  # a code or label of SESSION_TYPES
    outcome: str  # a code or label of OUTCOMES
    outcome_reason: str | None = None  # required when not attended
    intervention: str | None = None  # which intervention (e.g. "Relapse prevention")
    notes: str | None = None
    goals: list[GoalWork] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


@dataclass
class Attendance:
    resident_id: str
    attendance: str  # a code or label of ATTENDANCE
    note: str | None = None


@dataclass
class GroupInput:
    title: str
    held_on: date | str | None
    start_time: time | str | None
    duration_minutes: int | str | None
    facilitators: str
    register: list[Attendance] = field(default_factory=list)
    kind: str = "group"  # a code or label of SESSION_TYPES (a group of any type)
    notes: str | None = None


def _time(c: Cleaner, key: str, label: str) -> None:
    raw = c.data.get(key)
    if isinstance(raw, time):
        c.values[key] = f"{raw.hour:02d}:{raw.minute:02d}"
        return
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        c.error(key, f"{label} is required.")
        return
    if not isinstance(raw, str) or len(raw) > 10:
        c.error(key, f"{label} must be a time like 14:30.")
        return
    m = _TIME.match(raw.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        c.error(key, f"{label} must be a time like 14:30.")
        return
    c.values[key] = f"{int(m.group(1)):02d}:{m.group(2)}"


def _when(c: Cleaner, today: date) -> None:
    c.date("held_on", "Date", required=True, not_after=today)
    _time(c, "start_time", "Start time")
    c.integer("duration_minutes", "Length in minutes", required=True, low=1, high=MAX_MINUTES)


def validate_session(data: SessionInput, *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("resident_id", "Resident", required=True, max_len=36)
    _when(c, today)
    c.choice("kind", "Type of session", SESSION_TYPES, required=True)
    c.text("intervention", "Intervention", max_len=200)
    c.choice("outcome", "Outcome", OUTCOMES, required=True)
    c.text("outcome_reason", "Reason", max_len=2000)
    c.text("notes", "Notes", max_len=MAX_NOTES)
    outcome = c.values.get("outcome")
    if outcome in NEEDS_REASON and not c.values.get("outcome_reason") and "outcome_reason" not in c.errors:
        c.error("outcome_reason", REASON_NEEDED[outcome])
    goals: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, g in enumerate(data.goals):
        gc = Cleaner(form_fields(g))
        gc.text("goal_id", "Goal", required=True, max_len=36)
        gc.text("progress", "Progress", max_len=4000)
        for k, msg in gc.errors.items():
            c.error(f"goals.{n}.{k}", msg)
        gid = gc.values.get("goal_id")
        if gid and gid in seen:
            c.error(f"goals.{n}.goal_id", "This goal is listed twice.")
        elif gid:
            seen.add(gid)
            goals.append({"goal_id": gid, "progress": gc.values.get("progress") or ""})
    if outcome in NEEDS_REASON and any(g["progress"] for g in goals):
        c.error("goals", "Progress can only be recorded from a session that took place.")
    c.values["goals"] = goals
    follow: list[dict[str, Any]] = []
    for n, f in enumerate(data.follow_ups):
        fc = Cleaner(form_fields(f))
        fc.text("what", "Follow-up action", required=True, max_len=1000)
        fc.text("who", "Who", required=True, max_len=200)
        fc.date("by_when", "By when", not_before=date(2000, 1, 1))
        for k, msg in fc.errors.items():
            c.error(f"follow_ups.{n}.{k}", msg)
        if not fc.errors:
            follow.append({"what": fc.values["what"], "who": fc.values["who"],
                           "by_when": fc.values["by_when"].isoformat() if fc.values.get("by_when") else None})
    c.values["follow_ups"] = follow
    return c.values, c.errors


def validate_group(data: GroupInput, *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    c = Cleaner(form_fields(data))
    c.text("title", "Title", required=True, max_len=200)
    c.choice("kind", "Type of session", SESSION_TYPES, required=True)
    _when(c, today)
    c.text("facilitators", "Facilitators", required=True, max_len=400)
    c.text("notes", "Notes", max_len=MAX_NOTES)
    register: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, a in enumerate(data.register):
        ac = Cleaner(form_fields(a))
        ac.text("resident_id", "Resident", required=True, max_len=36)
        ac.choice("attendance", "Attendance", ATTENDANCE, required=True)
        ac.text("note", "Note", max_len=2000)
        for k, msg in ac.errors.items():
            c.error(f"register.{n}.{k}", msg)
        rid = ac.values.get("resident_id")
        if rid in seen:
            c.error(f"register.{n}.resident_id", "This resident is on the register twice.")
        elif not ac.errors and rid:
            seen.add(rid)
            register.append(ac.values)
    if not register and not any(k.startswith("register") for k in c.errors):
        c.error("register", "Mark at least one resident on the register.")
    c.values["register"] = register
    return c.values, c.errors


def progress_line(held_on: date, progress: str) -> str:
    """How a session's progress reads in the goal's progress notes."""
    return f"{format_date(held_on)} (key-work session): {progress}"


__all__ = ["ATTENDANCE", "Attendance", "FollowUp", "GoalWork", "GroupInput", "OUTCOMES", "SESSION_TYPES",
           "SessionInput", "validate_group", "validate_session"]

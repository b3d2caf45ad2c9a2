"""The domestic abuse risk checklist: 24 questions answered yes / no / not known, and the rules that
turn the answers into a level. No database here (keyworker/safeguarding.py stores and audits).

The official question wording is copyrighted, so answers are stored against question numbers and
shown with short labels written in our own words (QUESTIONS). A unit that holds a licence for the
official wording puts it in resources/licensed/dash.json ({"questions": {"1": "...", ... "24": "..."}});
`question_text(n)` then shows that wording instead. The file is never shipped with the app.

Levels: 14 or more "yes" is high ("visible high risk") and prompts a MARAC referral; 10-13 medium;
fewer standard. Professional judgement may raise the level with a reason, never lower it. Three or
more domestic abuse incidents within 12 months prompt a MARAC referral on "potential escalation"."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

LICENSED_FILE = Path(__file__).resolve().parent.parent / "resources" / "licensed" / "dash.json"

# Our own short labels, one per question number (not the official wording).
QUESTIONS: dict[int, str] = {
    1: "Injured in this incident",
    2: "Very frightened",
    3: "Afraid of further violence",
    4: "Cut off from family or friends",
    5: "Low mood or thoughts of suicide",
    6: "Separated, or tried to, in the past year",
    7: "Disputes over contact with children",
    8: "Constant calls, messages, following or harassment",
    9: "Pregnant or recently had a baby",
    10: "Abuse happening more often",
    11: "Abuse getting worse",
    12: "Controlling or extremely jealous behaviour",
    13: "Weapons or objects used to hurt",
    14: "Threats to kill that were believed",
    15: "Strangling, choking, smothering or drowning",
    16: "Sexual abuse or sexual humiliation",
    17: "Someone else threatening or feared",
    18: "The abuser has hurt others",
    19: "Cruelty to animals or pets",
    20: "Money problems or financial control",
    21: "Abuser's drink, drug or mental health problems",
    22: "Abuser threatened or attempted suicide",
    23: "Abuser broke bail, an injunction or an agreement",
    24: "Abuser known to the police or has a criminal record",
}
QUESTION_COUNT = len(QUESTIONS)

YES, NO, NOT_KNOWN = "yes", "no", "not_known"
ANSWERS: dict[str, str] = {YES: "Yes", NO: "No", NOT_KNOWN: "Not known"}

STANDARD, MEDIUM, HIGH = "standard", "medium", "high"
LEVELS: dict[str, str] = {STANDARD: "Standard", MEDIUM: "Medium", HIGH: "High"}
_RANK = {STANDARD: 0, MEDIUM: 1, HIGH: 2}
HIGH_FROM = 14  # "yes" answers: visible high risk, MARAC referral
MEDIUM_FROM = 10

ESCALATION_INCIDENTS = 3  # domestic abuse incidents within ESCALATION_MONTHS
ESCALATION_MONTHS = 12


def level_for(yes_count: int) -> str:
    """The level the answers show (before professional judgement)."""
    if yes_count >= HIGH_FROM:
        return HIGH
    if yes_count >= MEDIUM_FROM:
        return MEDIUM
    return STANDARD


def rank(level: str) -> int:
    return _RANK[level]


def judged_level(visible: str, judgement: str | None, reason: str | None) -> tuple[str, str | None]:
    """(the level, an error message or None). Judgement may raise the level with a reason; it never
    lowers it, and never a visible high risk."""
    if judgement is None or judgement == visible:
        return visible, None
    if rank(judgement) < rank(visible):
        if visible == HIGH:
            return visible, (f"A visible high risk ({HIGH_FROM} or more “yes” answers) cannot be lowered by "
                             "professional judgement.")
        return visible, (f"Professional judgement can raise the level, never lower it: the answers show "
                         f"{LEVELS[visible].lower()}.")
    if not (reason or "").strip():
        return judgement, f"Give the reason for raising the level to {LEVELS[judgement].lower()}."
    return judgement, None


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (29 February -> 28 February)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(y, m + 1, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 exists in every month


def escalation_window(on: date) -> tuple[date, date]:
    """The 12 months ending `on`, both ends included: an incident exactly 12 months ago counts."""
    return months_before(on, ESCALATION_MONTHS), on


def incidents_in_window(days: Iterable[date], on: date) -> list[date]:
    low, high = escalation_window(on)
    return sorted(d for d in days if low <= d <= high)


def potential_escalation(days: Iterable[date], on: date) -> bool:
    """Three or more domestic abuse incidents within the 12 months ending `on`."""
    return len(incidents_in_window(days, on)) >= ESCALATION_INCIDENTS


@lru_cache(maxsize=1)
def licensed_wording(path: Path = LICENSED_FILE) -> dict[int, str]:
    """The unit's licensed question wording, if it has installed the file; else nothing. A file
    that is not as described is ignored (the short labels still work), never an error at work."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        questions = data["questions"]
        wording = {int(k): str(v).strip() for k, v in questions.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    if set(wording) != set(QUESTIONS) or not all(wording.values()):
        return {}
    return wording


def question_text(number: int) -> str:
    """What the form shows for a question: the licensed wording if installed, else our label."""
    return licensed_wording().get(number) or QUESTIONS[number]

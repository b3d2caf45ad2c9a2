"""The planned discharge letter (the discharge summary of a planned discharge): one letter, sent
to the resident, the referrer, the Community Treatment Provider and the Authority's nominated person. The unit's letterhead, our
reference and the referrer's, the date; the resident; the stay (dates, setting and strand); the
treatment provided (interventions from key-work sessions and groups, the care plan and the
reviews held); the goals achieved; the Outcome Star and TOP of the stay
(`outcomes_section`, keyworker/documents/letter_outcomes.py; with no reading and no TOP, no heading); risk at discharge; medication on
discharge; recommendations; aftercare and follow-up; the key worker's and the senior's sign-off.
Marked DRAFT until a senior has signed. Every value is in words: no internal codes."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from reportlab.platypus import Flowable

from keyworker.clock import format_date, to_local
from keyworker.documents.layout import fields, grid, heading, letterhead, para, references, render, spacer
from keyworker.nhs import format_nhs_number

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from keyworker.discharge_plans import Aftercare, Attendee
    from keyworker.key_work import InterventionSummary
    from keyworker.unit_profile import UnitProfile

TITLE = "Discharge summary"
OUTCOMES_HEADING = "Outcome Star and TOP"
SECTION_HEADINGS = ("Resident", "The stay", "Treatment provided", "Goals achieved", "Risk at discharge",
                    "Medication on discharge", "Recommendations for the future", "Aftercare and follow-up",
                    "Sign-off")


@dataclass(frozen=True)
class GoalLine:
    area: str
    goal: str
    status: str


@dataclass(frozen=True)
class RiskLine:
    level: str  # in words
    assessed_at: datetime
    contingency: tuple[tuple[str, str], ...]  # (label, text)


@dataclass(frozen=True)
class SignOff:
    name: str
    job_title: str | None
    on: date


@dataclass(frozen=True)
class LetterData:
    resident_name: str
    reference: str
    date_of_birth: date | None
    nhs_number: str | None
    gp_practice: str | None
    admitted_on: date
    discharged_on: date | None
    planned_date: date | None
    setting: str
    strand: str
    key_worker: str
    referrer: str | None
    referrer_reference: str | None
    meeting_on: date | None
    attendees: Sequence[Attendee]
    referrer_invited: bool
    route: str
    reason: str
    interventions: InterventionSummary
    care_plan: str
    goals: Sequence[GoalLine]
    reviews: Sequence[tuple[date, str]]
    goals_achieved: str
    risk: RiskLine | None
    medication: str
    recommendations: str
    aftercare: Aftercare
    follow_ups: Sequence[date]
    key_worker_sign: SignOff | None
    senior_sign: SignOff | None


def outcomes_section(session: Session, admission_id: str) -> list[Flowable] | None:
    """The hook for the outcomes issue: the Outcome Star distance travelled (with its chart) and
    the TOP change for the stay, as flowables under the heading "Outcome Star and TOP". Until
    outcomes are recorded this returns None and the letter says nothing about them (built in
    keyworker/documents/letter_outcomes.py)."""
    from keyworker.documents.letter_outcomes import section

    return section(session, admission_id)


def build(data: LetterData, *, profile: UnitProfile, generated_at: datetime, draft: bool,
          outcomes: list[Flowable] | None = None) -> bytes:
    dated = data.senior_sign.on if data.senior_sign is not None else to_local(generated_at).date()
    story: list[Flowable] = [*letterhead(profile),
                             references(data.reference, data.referrer_reference, dated=dated), spacer(5),
                             para(TITLE + f": {data.resident_name}", "title")]
    story += _story(data, profile, outcomes)
    return render(story, title=TITLE, profile=profile, generated_at=generated_at, subject=f"{TITLE}: {data.reference}",
                  running_header=f"{data.resident_name}  ·  {data.reference}", draft=draft)


def _text(value: str | None, empty: str = "Not recorded.") -> Flowable:
    return para(value if value and value.strip() else empty)


def _story(data: LetterData, profile: UnitProfile, outcomes: list[Flowable] | None) -> list[Flowable]:
    unit = profile.unit_name or "the unit"
    ended = data.discharged_on
    opening = (f"{data.resident_name} was discharged from {unit} on {format_date(ended)} as planned."
               if ended else f"{data.resident_name} is planned to be discharged from {unit}"
               + (f" on {format_date(data.planned_date)}." if data.planned_date else "."))
    story: list[Flowable] = [para(opening + " This summary sets out the treatment provided, what was achieved "
                                            "and the arrangements agreed for after discharge.")]
    story.append(heading("Resident"))
    story.append(fields([("Name", data.resident_name), ("Date of birth", format_date(data.date_of_birth)),
                         ("NHS number", format_nhs_number(data.nhs_number) or "Not recorded"), ("Our reference", data.reference),
                         ("GP practice", data.gp_practice or "Not recorded")]))
    story.append(heading("The stay"))
    rows: list[tuple[str, str | None]] = [
        ("Admitted", format_date(data.admitted_on)),
        ("Discharged", format_date(ended) if ended else
         (f"Planned for {format_date(data.planned_date)}" if data.planned_date else "Not yet decided")),
        ("Setting", data.setting), ("Treatment strand", data.strand), ("Key worker", data.key_worker),
        ("Referred by", data.referrer or "Not recorded"),
        ("Route on discharge", data.route or "Not recorded"), ("Discharge reason", data.reason or "Not recorded"),
    ]
    if data.meeting_on:
        who = "; ".join(f"{a.name}, {a.role}" for a in data.attendees)
        rows.append(("Discharge planning meeting", format_date(data.meeting_on) + (f": {who}" if who else "")))
        rows.append(("Referrer invited to it", "Yes" if data.referrer_invited else "No"))
    story.append(fields(rows))

    story.append(heading("Treatment provided"))
    iv = data.interventions
    if iv.types:
        story.append(para("Key-work sessions and groups attended during the stay:"))
        story.append(grid(["Intervention", "Attended", "First", "Last"],
                          [[t.label, str(t.count), format_date(t.first_on), format_date(t.last_on)] for t in iv.types],
                          [86, 24, 30, 30]))
        story.append(para(f"Attendance: {iv.rate_text}."
                          + (f" Cancelled: {iv.cancelled}." if iv.cancelled else "")
                          + (f" Excused: {iv.excused}." if iv.excused else "")))
    else:
        story.append(para("No key-work sessions or groups are recorded for this stay."))
    story.append(heading("Care plan and reviews", 3))
    story.append(para(data.care_plan))
    if data.reviews:
        story.append(para("Reviews held: " + "; ".join(f"{label} on {format_date(d)}" for d, label in data.reviews)
                          + "."))
    else:
        story.append(para("No reviews are recorded for this stay."))
    if data.goals:
        story.append(heading("Care plan goals", 3))
        story.append(grid(["Area", "Goal", "Where it stands"], [[g.area, g.goal, g.status] for g in data.goals],
                          [40, 96, 34]))

    story.append(heading("Goals achieved"))
    story.append(_text(data.goals_achieved))
    if outcomes:
        story.append(heading(OUTCOMES_HEADING))
        story += outcomes

    story.append(heading("Risk at discharge"))
    if data.risk is None:
        story.append(para("There is no risk assessment on record for this stay."))
    else:
        story.append(fields([("Overall risk", data.risk.level),
                             ("Last assessed", format_date(to_local(data.risk.assessed_at).date()))]))
        story.append(heading("Contingency plan", 3))
        story.append(fields([(label, text or "Not agreed") for label, text in data.risk.contingency]))

    story.append(heading("Medication on discharge"))
    story.append(_text(data.medication, "No medication on discharge."))
    story.append(heading("Recommendations for the future"))
    story.append(_text(data.recommendations))

    story.append(heading("Aftercare and follow-up"))
    ac = data.aftercare
    story.append(fields([
        ("Mutual aid groups", "; ".join(ac.mutual_aid) or "Not arranged"),
        ("Community Treatment Provider", ac.ctp or "Not arranged"),
        ("Housing", ac.housing or "Not recorded"),
        ("Housing options referral made", "Yes" if ac.housing_referral_made else "No"),
        ("Home visits made", "Yes" if ac.home_visits_made else "No"),
        ("GP", ac.gp or data.gp_practice or "Not recorded"),
        ("Other", ac.other or "Nothing else arranged"),
    ]))
    if data.follow_ups:
        story.append(para(f"{unit} will contact {data.resident_name} to see how they are getting on: "
                          + " and ".join(format_date(d) for d in data.follow_ups)
                          + " (three and six months after discharge)."))
    else:
        story.append(para("No follow-up contacts from the unit are scheduled."))

    story.append(heading("Sign-off"))
    story += _signatures(data)
    story.append(spacer(2))
    return story


def _signatures(data: LetterData) -> list[Flowable]:
    def line(who: str, s: SignOff | None, waiting: str) -> tuple[str, str]:
        if s is None:
            return who, waiting
        return who, f"{s.name}" + (f", {s.job_title}" if s.job_title else "") + f", {format_date(s.on)}"

    rows = [line("Key worker", data.key_worker_sign, "Not yet completed"),
            line("Senior manager", data.senior_sign, "Not yet signed")]
    out: list[Any] = [fields(rows)]
    return out

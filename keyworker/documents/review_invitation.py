"""The invitation letter to a review meeting (contract 4.1.5.5–4.1.5.7): to the referrer for the
mid-way review and the pre-discharge planning meeting, or to family and carers with notice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.platypus import Flowable

from keyworker.clock import format_date
from keyworker.documents.layout import fields, para, render, spacer
from keyworker.review_schedule import KIND_LABELS, MIDWAY, PRE_DISCHARGE, planned_end

TITLE = "Invitation to a review meeting"


@dataclass(frozen=True)
class Letter:
    unit_name: str
    invitee_name: str
    invitee_role: str
    invitee_address: str
    resident_name: str
    reference: str
    date_of_birth: date | None
    admitted_on: date
    planned_weeks: int
    kind: str
    meeting_on: date
    meeting_time: str
    venue: str
    key_worker_name: str
    written_on: date


def _meeting_label(kind: str) -> str:
    """What the meeting is called in the letter: a regular review is the care plan review."""
    return "Care plan review" if kind not in (MIDWAY, PRE_DISCHARGE) else KIND_LABELS[kind]


def _purpose(letter: Letter) -> str:
    if letter.kind == MIDWAY and letter.invitee_role == "referrer":
        return ("This is the mid-way review of the placement. The service specification (4.1.5.7) asks us to "
                "invite the referrer to this meeting, to review progress against the Treatment and Recovery "
                "Care Plan and agree any changes for the rest of the programme.")
    if letter.kind == MIDWAY:
        return ("This is the mid-way review of the placement, where we review progress against the Treatment "
                "and Recovery Care Plan and agree any changes for the rest of the programme.")
    if letter.kind == PRE_DISCHARGE:
        return ("This is the pre-discharge planning meeting. We will agree the discharge plan, the move-on and "
                "aftercare arrangements, mutual aid and relapse prevention support, and the 3- and 6-month "
                "follow-ups (service specification 4.1.5.7).")
    return ("This is one of the fortnightly reviews of the Treatment and Recovery Care Plan, where we look at "
            "progress with the resident and agree any changes.")


def build(letter: Letter, *, generated_at: datetime) -> bytes:
    return render(_story(letter), title=TITLE, unit_name=letter.unit_name,
                  generated_at=generated_at, subject=f"{KIND_LABELS.get(letter.kind, 'Review')}: {letter.reference}")


def _story(letter: Letter) -> list[Flowable]:
    kind_label = _meeting_label(letter.kind)
    # The unit's name is the page header (the letterhead); the letter starts with date and address.
    story: list[Flowable] = [para(format_date(letter.written_on), "right")]
    story.append(para("\n".join(x for x in (letter.invitee_name, letter.invitee_address) if x)))
    story.append(spacer())
    story.append(para(f"{TITLE}: {kind_label}", "title"))
    story.append(para(f"Dear {letter.invitee_name},"))
    story.append(para(f"You are invited to the {kind_label.lower()} for {letter.resident_name}. "
                      + _purpose(letter)))
    story.append(spacer(2))
    story.append(fields([
        ("Meeting", kind_label),
        ("Date", format_date(letter.meeting_on)),
        ("Time", letter.meeting_time or "To be confirmed"),
        ("Where", letter.venue or "At the unit; joining by video or telephone is welcome"),
        ("Resident", letter.resident_name),
        ("Reference", letter.reference),
        ("Date of birth", format_date(letter.date_of_birth)),
        ("Admitted", format_date(letter.admitted_on)),
        ("Planned end of placement", format_date(planned_end(letter.admitted_on, letter.planned_weeks))),
        ("Key worker", letter.key_worker_name),
    ]))
    story.append(spacer(4))
    story.append(para("If you cannot attend in person, please let us know: you can join by video call or "
                      "telephone, or send us your views before the meeting. Please reply to confirm whether "
                      "you will attend."))
    story.append(spacer(4))
    story.append(para("Yours sincerely,"))
    story.append(spacer(6))
    story.append(para("\n".join([letter.key_worker_name or "Key worker",
                                  f"Key worker, {letter.unit_name}" if letter.unit_name else "Key worker"])))
    return story

"""The invitation letter to a review meeting: to the referrer for the mid-way review and the
pre-discharge planning meeting, or to family and carers with notice. Dated the day it is
produced; the meeting's date, time and place are the ones the key worker set."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable

from keyworker.clock import format_date
from keyworker.documents.layout import (
    addressee,
    fields,
    letterhead,
    para,
    references,
    render,
    signatory,
    spacer,
)
from keyworker.letters import contact_sentence, letter_date
from keyworker.review_schedule import KIND_LABELS, MIDWAY, PRE_DISCHARGE, planned_end
from keyworker.unit_profile import UnitProfile

TITLE = "Invitation to a review meeting"
SIGN_OFF_ROOM = 55 * mm


@dataclass(frozen=True)
class Letter:
    profile: UnitProfile
    invitee_name: str
    invitee_role: str
    invitee_address: str
    their_reference: str
    resident_name: str
    reference: str
    date_of_birth: date | None
    admitted_on: date
    planned_weeks: int
    kind: str
    meeting_on: date
    meeting_time: str
    venue: str  # as the key worker set it: the unit's address, or video / phone details
    key_worker_name: str
    key_worker_title: str
    written_on: date


def _meeting_label(kind: str) -> str:
    """What the meeting is called in the letter: a regular review is the care plan review."""
    return "Care plan review" if kind not in (MIDWAY, PRE_DISCHARGE) else KIND_LABELS[kind]


def _purpose(letter: Letter) -> str:
    """What the meeting is for, said once."""
    if letter.kind == MIDWAY:
        return ("we look at progress half-way through the placement against the Treatment and Recovery Care "
                "Plan and agree any changes for the rest of the programme.")
    if letter.kind == PRE_DISCHARGE:
        return ("we agree the discharge plan: where the resident will live and the support that follows, "
                "aftercare, mutual aid and relapse prevention, and the follow-up contacts at 3 and 6 months.")
    return ("we look at progress on the Treatment and Recovery Care Plan with the resident and agree any "
            "changes.")


def build(letter: Letter, *, generated_at: datetime) -> bytes:
    return render(_story(letter), title=TITLE, unit_name=letter.profile.unit_name, generated_at=generated_at,
                  subject=f"{KIND_LABELS.get(letter.kind, 'Review')}: {letter.reference}",
                  profile=letter.profile)


def _story(letter: Letter) -> list[Flowable]:
    kind_label = _meeting_label(letter.kind)
    profile = letter.profile
    lines = [letter.invitee_name, *(x.strip() for x in letter.invitee_address.splitlines() if x.strip())]
    when = f"{letter.meeting_on:%A} {letter_date(letter.meeting_on)}"
    story: list[Flowable] = [
        *letterhead(profile), addressee(lines), spacer(3),
        references(letter.reference, letter.their_reference or None, dated=letter.written_on),
        spacer(2), para(f"{TITLE}: {kind_label}", "title"),
        para(f"Dear {letter.invitee_name},"),
        para(f"You are invited to the {kind_label.lower()} for {letter.resident_name}, at which "
             + _purpose(letter)),
        fields([
            ("Meeting date", when),
            ("Time", letter.meeting_time or "To be confirmed"),
            ("Place", letter.venue),
            ("Resident", letter.resident_name
             + (f" (born {format_date(letter.date_of_birth)})" if letter.date_of_birth else "")),
            ("Planned end of placement", format_date(planned_end(letter.admitted_on, letter.planned_weeks))),
        ]),
        spacer(3),
        CondPageBreak(SIGN_OFF_ROOM),  # the reply request and the signature stay together
        para("Please let us know whether you will attend. If you cannot come in person you can join by video "
             "call or telephone, or send us your views before the meeting. " + contact_sentence(profile)),
        spacer(2),
        signatory(letter.key_worker_name or "Key worker", letter.key_worker_title or "Key worker",
                  profile.unit_name),
    ]
    return story

"""The letter to the referrer when a referral is accepted: the decision, what happens next
(admission is arranged with them and the person), whom to contact, signed by the senior who
decided. A decision made after the 5-working-day deadline says so, as the decline letter does.
Kept in the database and put in the outbox for the referrer with the decision."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import CondPageBreak, Flowable

from keyworker.clock import to_local
from keyworker.db.caseload import Referral
from keyworker.documents.decline_letter import SIGN_OFF_ROOM, Signatory, decision_opening
from keyworker.documents.layout import heading, para, render, signatory, spacer
from keyworker.letters import contact_sentence
from keyworker.unit_profile import UnitProfile

TITLE = "Referral decision"


def acceptance_letter_pdf(r: Referral, *, profile: UnitProfile, signed_by: Signatory, decided_at: datetime,
                          generated_at: datetime | None = None) -> bytes:
    return render(_story(r, profile, signed_by, decided_at), title=TITLE, unit_name=profile.unit_name,
                  generated_at=generated_at or decided_at, subject="Referral accepted", profile=profile)


def _story(r: Referral, profile: UnitProfile, signed_by: Signatory, decided_at: datetime) -> list[Flowable]:
    unit = profile.unit_name or "the unit"
    story = decision_opening(r, profile, to_local(decided_at).date(), "Referral accepted",
                             f"We are pleased to confirm that {unit} can offer a place.")
    story += [
        heading("What happens next"),
        para(f"We will contact you and {r.given_name} to agree an admission date and what to bring. "
             f"Before admission we will ask for the current prescription and any risk information you hold, "
             f"and we will invite you to the reviews during the stay, including the mid-way review and the "
             f"discharge planning meeting."),
        CondPageBreak(SIGN_OFF_ROOM),
        heading("Contact"),
        para("If anything changes before admission, or you would like to talk about the placement, please get "
             "in touch and quote our reference. " + contact_sentence(profile)),
        spacer(2),
        signatory(signed_by.name, signed_by.job_title, profile.unit_name),
    ]
    return story

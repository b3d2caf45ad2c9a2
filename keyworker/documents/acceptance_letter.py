"""The letter to the referrer when a referral is accepted: the decision, what happens next
(admission is arranged with them and the person), whom to contact, signed by the senior who
decided. A decision made after the 5-working-day deadline says so, as the decline letter does.
Kept in the database and put in the outbox for the referrer with the decision."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import CondPageBreak, Flowable

from keyworker.clock import format_date, to_local
from keyworker.db.caseload import Referral
from keyworker.documents.decline_letter import SIGN_OFF_ROOM, Signatory, addressee_lines, late_sentence
from keyworker.documents.layout import addressee, heading, letterhead, markup, para, references, render, signatory, spacer
from keyworker.letters import contact_sentence, letter_date, referral_reference
from keyworker.unit_profile import UnitProfile

TITLE = "Referral decision"


def acceptance_letter_pdf(r: Referral, *, profile: UnitProfile, signed_by: Signatory, decided_at: datetime,
                          generated_at: datetime | None = None) -> bytes:
    return render(_story(r, profile, signed_by, decided_at), title=TITLE, unit_name=profile.unit_name,
                  generated_at=generated_at or decided_at, subject="Referral accepted", profile=profile)


def _story(r: Referral, profile: UnitProfile, signed_by: Signatory, decided_at: datetime) -> list[Flowable]:
    decided_on = to_local(decided_at).date()
    unit = profile.unit_name or "the unit"
    person = f"{r.given_name} {r.family_name}"
    story: list[Flowable] = [*letterhead(profile), addressee(addressee_lines(r)), spacer(3),
                             references(referral_reference(r.id), r.referrer_reference or None, dated=decided_on),
                             spacer(2), markup("Referral accepted", "title"),
                             para(f"Dear {r.referrer_name},"),
                             para(f"Thank you for your referral of {person}"
                                  + (f" (born {format_date(r.date_of_birth)})" if r.date_of_birth else "")
                                  + f", which we received on {letter_date(to_local(r.received_at).date())}. "
                                  f"We are pleased to confirm that {unit} can offer a place.")]
    if late := late_sentence(r.decision_due_on, decided_on):
        story.append(para(late))
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

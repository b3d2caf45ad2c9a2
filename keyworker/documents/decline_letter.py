"""The letter to the referrer when a referral is declined: the decision, the reason in plain words
and in full, what they can do next and whom to contact, signed by the senior who decided. A
decision made after the 5-working-day deadline says so. Kept in the database; the outbox
delivers it later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable

from keyworker import reference_data as ref
from keyworker import working_days as wd
from keyworker.clock import format_date, to_local
from keyworker.db.caseload import Referral
from keyworker.documents.layout import (
    addressee,
    heading,
    letterhead,
    markup,
    para,
    references,
    render,
    signatory,
    spacer,
)
from keyworker.letters import contact_sentence, letter_date, referral_reference
from keyworker.unit_profile import UnitProfile

TITLE = "Referral decision"
SIGN_OFF_ROOM = 80 * mm  # "What you can do next", the contact details and the signature


@dataclass(frozen=True)
class Signatory:
    name: str
    job_title: str


def addressee_lines(r: Referral) -> list[str]:
    """The referrer as recorded: name, organisation and postal address, or their email when
    there is no address."""
    address = [line.strip() for line in (r.referrer_address or "").splitlines() if line.strip()]
    lines = [r.referrer_name, r.referrer_organisation or "", *address]
    if not address and r.referrer_email:
        lines.append(r.referrer_email)
    return [x for x in lines if x]


def late_sentence(due_on: date, decided_on: date) -> str:
    """Said plainly when the decision came after its deadline; empty when it was in time."""
    if decided_on <= due_on:
        return ""
    late = max(1, wd.working_days_between(due_on, decided_on))
    days = f"{late} working day{'s' if late != 1 else ''}"
    return (f"We are sorry that this decision is late. It was due by {letter_date(due_on)}, within 5 working "
            f"days of receiving the referral, and was made {days} after that.")


def decline_letter_pdf(r: Referral, *, profile: UnitProfile, signed_by: Signatory, decided_at: datetime,
                       generated_at: datetime | None = None) -> bytes:
    return render(_story(r, profile, signed_by, decided_at), title=TITLE, unit_name=profile.unit_name,
                  generated_at=generated_at or decided_at, subject="Referral not accepted", profile=profile)


def decision_opening(r: Referral, profile: UnitProfile, decided_on: date, title: str,
                     outcome: str) -> list[Flowable]:
    """The start both decision letters share: letterhead, the referrer, both references and the date,
    the title, and the thanks for the referral ending with `outcome` (one sentence); then the late
    sentence when the decision came after its deadline."""
    person = f"{r.given_name} {r.family_name}"
    story: list[Flowable] = [*letterhead(profile), addressee(addressee_lines(r)), spacer(3),
                             references(referral_reference(r.id), r.referrer_reference or None,
                                        dated=decided_on),
                             spacer(2), markup(title, "title"),
                             para(f"Dear {r.referrer_name},"),
                             para(f"Thank you for your referral of {person}"
                                  + (f" (born {format_date(r.date_of_birth)})" if r.date_of_birth else "")
                                  + f", which we received on {letter_date(to_local(r.received_at).date())}. "
                                  + outcome)]
    if late := late_sentence(r.decision_due_on, decided_on):
        story.append(para(late))
    return story


def _story(r: Referral, profile: UnitProfile, signed_by: Signatory, decided_at: datetime) -> list[Flowable]:
    unit = profile.unit_name or "the unit"
    story = decision_opening(r, profile, to_local(decided_at).date(), "Referral not accepted",
                             f"We have assessed it carefully and {unit} is not able to offer a place.")
    story += [
        heading("Why we cannot offer a place"),
        para(ref.decline_letter_wording(r.decline_category)),
        para(r.decline_reason),
        # What to do next moves to a new page with the sign-off when both do not fit here, so a
        # signature never stands alone on a page (a nested keep-together strands the heading).
        CondPageBreak(SIGN_OFF_ROOM),
        heading("What you can do next"),
        para("If the person's circumstances change, or the reason above no longer applies, we would be glad "
             "to consider a new referral. If you think we have misunderstood something in the referral, or "
             "you would like to talk the decision through, please get in touch and quote our reference. "
             + contact_sentence(profile)),
        spacer(2),
        signatory(signed_by.name, signed_by.job_title, profile.unit_name),
    ]
    return story

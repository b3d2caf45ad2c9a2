"""The letter telling the referrer or the Community Treatment Provider that a placement is at risk
of breaking down (Annex 3 step 12: "as soon as possible"). The unit's letterhead, whom it is
for, the resident, why, and what happens next; signed by the person who raised it. No internal
codes. Kept with the flag and delivered through the outbox."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.platypus import Flowable

from keyworker.clock import format_date, to_local
from keyworker.documents.layout import addressee, fields, heading, letterhead, markup, para, references, render, \
    signatory, spacer
from keyworker.letters import contact_sentence
from keyworker.unit_profile import UnitProfile

TITLE = "Placement at risk of breaking down"


def build(*, to_lines: Sequence[str], dear: str, resident_name: str, reference: str, date_of_birth: object,
          admitted_on: object, reason: str, profile: UnitProfile, raised_at: datetime, signed_by: str,
          job_title: str | None) -> bytes:
    unit = profile.unit_name or "the unit"
    story: list[Flowable] = [
        *letterhead(profile), addressee(to_lines), spacer(3),
        references(reference, dated=to_local(raised_at).date()), spacer(2), markup(TITLE, "title"),
        para(f"Dear {dear},"),
        para(f"We are writing, as the service specification asks, to let you know as soon as possible that "
             f"{resident_name}'s placement at {unit} is at risk of breaking down. We are doing all we can to keep "
             "them in treatment."),
        heading("Resident"),
        fields([("Name", resident_name), ("Our reference", reference),
                ("Date of birth", format_date(date_of_birth) if date_of_birth else "Not recorded"),  # type: ignore[arg-type]
                ("Admitted", format_date(admitted_on) if admitted_on else "")]),  # type: ignore[arg-type]
        heading("Why the placement is at risk"),
        para(reason),
        heading("What happens next"),
        para("We will keep you informed, and would welcome your help in supporting them to stay. If the "
             "placement ends, we will tell you straight away. " + contact_sentence(profile)),
        spacer(2),
        signatory(signed_by, job_title, profile.unit_name),
    ]
    return render(story, title=TITLE, profile=profile, generated_at=raised_at, subject=f"{TITLE}: {reference}",
                  running_header=f"{resident_name}  ·  {reference}")

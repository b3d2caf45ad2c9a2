"""The letter to the referrer when a referral is declined: the full reasons in writing
(service specification 4.1.2.3). Kept in the database; the outbox delivers it later."""

from __future__ import annotations

from datetime import UTC, datetime

from keyworker import reference_data as ref
from keyworker.clock import format_date, format_datetime
from keyworker.db.caseload import Referral
from keyworker.documents.layout import fields, heading, markup, para, render, spacer


def decline_letter_pdf(
    r: Referral, *, unit_name: str, signed_by: str, generated_at: datetime | None = None
) -> bytes:
    decided = r.decided_at or datetime.now(UTC)
    unit = unit_name or "the unit"
    story = [
        para(format_date(decided), "right"),
        para(f"{r.referrer_name}\n{r.referrer_organisation or ''}".strip()),
        spacer(),
        markup("Referral not accepted", "title"),
        para(f"Dear {r.referrer_name},"),
        para(
            f"Thank you for your referral of {r.given_name} {r.family_name}"
            + (f" (born {format_date(r.date_of_birth)})" if r.date_of_birth else "")
            + f", received on {format_datetime(r.received_at)}. After assessing the referral, {unit} "
            "is not able to accept it. Our reasons are set out below."
        ),
        spacer(2),
        fields(
            [
                ("Referral received", format_datetime(r.received_at)),
                ("Admission category", ref.label(ref.admission_categories(), r.category)),
                ("Community Treatment Provider", r.community_treatment_provider),
                ("Decision due by", format_date(r.decision_due_on)),
                ("Decision made", format_datetime(decided)),
            ]
        ),
        heading("Reason"),
        para(ref.label(ref.decline_categories(), r.decline_category)),
        heading("Our reasons in full"),
        para(r.decline_reason),
        spacer(),
        para(
            "If the service user's circumstances change we would be glad to consider a new referral. "
            "Please contact us if you would like to discuss this decision."
        ),
        spacer(),
        para(f"Yours sincerely,\n\n{signed_by}\n{unit}"),
    ]
    return render(
        story,
        title="Referral decision",
        unit_name=unit_name,
        generated_at=generated_at or decided,
        subject="Referral not accepted",
    )

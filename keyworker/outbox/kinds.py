"""Every kind of outbox item in words, as the Outbox page and the routes screen show them."""
from __future__ import annotations

KIND_WORDS: dict[str, str] = {
    "decline_letter": "Referral decline letters",
    "acceptance_confirmation": "Acceptance confirmations",
    "review_invitation": "Review invitations",
    "declines_report": "Declined-referrals report",
    "care_plan_share": "Care plans shared",
    "discharge_letter": "Discharge letters",
    "discharge_summary": "Discharge summaries",
    "unplanned_discharge_notice": "Unplanned discharge notifications",
    "ndtms_return": "NDTMS monthly return",
    "quarterly_report": "Quarterly report",
}


def kind_words(kind: str) -> str:
    """The kind in words; an unknown one still reads as words, never as an internal name."""
    return KIND_WORDS.get(kind) or kind.replace("_", " ").strip().capitalize() or "Other"

"""Every kind of outbox item in words, as the Outbox page and the routes table show them.
A kind a later issue adds is named here too; an unknown kind still reads as words."""
from __future__ import annotations

KINDS: dict[str, str] = {
    "decline_letter": "Referral decline letters",
    "acceptance_confirmation": "Acceptance confirmations",
    "review_invitation": "Review invitations",
    "declines_report": "Declined-referrals report",
    "care_plan_share": "Care plans shared",
    "discharge_letter": "Discharge letters",
    "discharge_summary": "Discharge summaries",
    "unplanned_discharge_summary": "Out-of-hours discharge summaries",
    "risk_analysis": "Risk analyses at discharge",
    "placement_at_risk": "Placement-at-risk letters",
    "ndtms_return": "NDTMS monthly return",
    "quarterly_report": "Quarterly report",
    "pseudonymised_extract": "Pseudonymised extracts",
}


def kind_words(kind: str) -> str:
    """The kind as a person reads it ("Review invitations"); never the internal name."""
    if kind in KINDS:
        return KINDS[kind]
    words = kind.replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) or "Other documents"


# One item of each kind, as a row of the Outbox page and `outbox list` name it.
ONE: dict[str, str] = {
    "decline_letter": "Decline letter",
    "acceptance_confirmation": "Acceptance confirmation",
    "review_invitation": "Review invitation",
    "declines_report": "Declined-referrals report",
    "care_plan_share": "Care plan shared",
    "discharge_letter": "Discharge letter",
    "discharge_summary": "Discharge summary",
    "unplanned_discharge_summary": "Out-of-hours discharge summary",
    "risk_analysis": "Risk analysis at discharge",
    "placement_at_risk": "Placement-at-risk letter",
    "ndtms_return": "NDTMS monthly return",
    "quarterly_report": "Quarterly report",
    "pseudonymised_extract": "Pseudonymised extract",
}


def item_words(kind: str) -> str:
    """One item's kind ("Decline letter"); an unknown kind still reads as words."""
    return ONE.get(kind) or kind_words(kind)


# Line-level returns (rows about people): they go to an HTTPS API or an SFTP drop, never by email
# (the contract's automated exchange, 11.4.4). A route to an email destination is refused.
LINE_LEVEL = frozenset({"ndtms_return", "pseudonymised_extract"})

"""What a risk assessment holds and the rules it follows (issue 10; Lancashire specification
4.1.5.3.3, 4.1.7.5-4.1.7.6): the nine domains, the levels, the suggested overall level and the
default review date. Pure functions, no database: the service (keyworker/risk.py), the demo and
the screens read these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class RiskDomain:
    key: str
    label: str
    hint: str  # what the evidence should cover, as a key worker would ask it


DOMAINS: tuple[RiskDomain, ...] = (
    RiskDomain("overdose_relapse", "Overdose and relapse",
               "Lost tolerance after detox or abstinence, past overdoses, use on leave, naloxone."),
    RiskDomain("self_harm", "Self-harm and suicide",
               "Thoughts, plans, past attempts, recent losses, protective factors."),
    RiskDomain("harm_to_others", "Harm to others",
               "Violence, threats, arson, schedule 1 offences, weapons."),
    RiskDomain("harm_from_others", "Harm from others and exploitation",
               "Debts, dealers, cuckooing, criminal or sexual exploitation."),
    RiskDomain("domestic_abuse", "Domestic abuse",
               "As victim or perpetrator; the checklist score and any MARAC referral."),
    RiskDomain("safeguarding_children", "Safeguarding children",
               "Children in the household, contact, a child protection or child in need plan."),
    RiskDomain("adult_safeguarding", "Adult safeguarding",
               "Care and support needs, abuse or neglect, self-neglect."),
    RiskDomain("physical_health", "Physical health",
               "Blood-borne viruses, seizures, liver disease, pregnancy, withdrawal."),
    RiskDomain("mental_health", "Mental health",
               "Diagnoses, current symptoms, medication, crisis contacts."),
)
DOMAIN_KEYS = tuple(d.key for d in DOMAINS)
DOMAINS_BY_KEY = {d.key: d for d in DOMAINS}

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVELS: dict[str, str] = {LOW: "Low", MEDIUM: "Medium", HIGH: "High"}
_RANK = {LOW: 0, MEDIUM: 1, HIGH: 2}
NOT_ASSESSED = "Not assessed"

# How long until the next review (the issue: 4 weeks; 1 week when high).
REVIEW_DAYS = 28
REVIEW_DAYS_HIGH = 7

# The contingency plan for an unplanned discharge: field -> how a key worker names it.
CONTINGENCY_FIELDS: dict[str, str] = {
    "naloxone": "Naloxone supplied or harm-reduction advice given",
    "ctp_referral": "Referral back to the Community Treatment Provider",
    "likely_destination": "Where the resident would likely go",
    "who_to_tell": "Who must be told",
}

# Why a new assessment is due: reason -> words.
PROMPT_REASONS: dict[str, str] = {
    "incident": "An incident was logged",
    "relapse": "A relapse or use on site",
    "safeguarding": "A safeguarding concern",
    "other": "Something changed",
}


def level_label(level: str | None) -> str:
    return LEVELS.get(level or "", NOT_ASSESSED)


def rank(level: str) -> int:
    return _RANK.get(level, -1)


def suggested_level(ratings: list[str]) -> str:
    """The overall level the app suggests: the highest domain rating (low when none is rated)."""
    known = [r for r in ratings if r in _RANK]
    return max(known, key=rank) if known else LOW


def default_review_on(assessed_on: date, level: str) -> date:
    """Four weeks after the assessment; one week when the overall level is high."""
    return assessed_on + timedelta(days=REVIEW_DAYS_HIGH if level == HIGH else REVIEW_DAYS)

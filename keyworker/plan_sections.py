"""The sections of a Treatment and Recovery Care Plan (contract 4.1.4.2 and 4.1.5.3), declared once.

Completeness (`keyworker.care_plans`), the resident's PDF copy and the UI editor all read these
definitions, so adding or renaming a section happens here and nowhere else.

Content of a plan version (see `keyworker.care_plans.PlanContent`):
- `sections[section_key][field_key] -> str` for sections of kind "fields";
- `domains[domain_key] -> DomainPlan` for the non-substance domains section;
- `goals -> list[Goal]` for the goals section;
- the "key_worker" and "demographics" sections are filled by the service from the record
  (the admission's named key worker, the resident's demographics) each time a version is saved.
"""
from __future__ import annotations

from dataclasses import dataclass

# Section kinds: how the editor shows it and how completeness is checked.
FIELDS = "fields"  # free-text fields, each required or optional
GOALS = "goals"  # the list of goals with actions
DOMAINS = "domains"  # one entry per non-substance domain
FROM_RECORD = "from_record"  # read from the resident's record / admission, not typed into the plan
# Fields of the risk section the service copies from the current risk assessment (issue 10).
FROM_RISK_ASSESSMENT = ("risk_summary", "contingency")


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str
    required: bool = True
    hint: str = ""
    multiline: bool = True


@dataclass(frozen=True)
class SectionDef:
    key: str
    heading: str
    clause: str  # the contract clause it satisfies
    required: bool
    hint: str
    kind: str
    fields: tuple[FieldDef, ...] = ()


# Goal and domain vocabulary -------------------------------------------------------------------
GOAL_STATUSES: dict[str, str] = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "achieved": "Achieved",
    "changed": "Changed",
}

# Non-substance domains of functioning (4.1.5.3.6 and the list).
DOMAINS_LIST: dict[str, str] = {
    "housing": "Housing",
    "ete": "Employment, education and training",
    "family": "Family support",
    "living_skills": "Independent living skills",
    "money": "Money and debt",
    "physical_health": "Physical health",
    "mental_health": "Mental health",
    "offending": "Offending",
    "mutual_aid": "Mutual aid and recovery community",
}

# A goal may be about substance use or any of the domains above.
GOAL_DOMAINS: dict[str, str] = {"substance_use": "Substance use", **DOMAINS_LIST}

AGREEMENT_METHODS: dict[str, str] = {
    "signed_paper": "Signed paper copy",
    "verbal": "Agreed verbally",
    "declined": "Declined to sign",
}

# Demographic fields copied from the resident's record into each version; these must be recorded
# ("Prefer not to say" counts as recorded) for the section to be complete.
DEMOGRAPHIC_FIELDS: tuple[tuple[str, str, bool], ...] = (
    # (record attribute, label, required)
    ("full_name", "Name", True),
    ("reference", "Reference", True),
    ("date_of_birth", "Date of birth", True),
    ("sex", "Sex", True),
    ("gender_identity", "Gender identity", False),
    ("ethnicity", "Ethnicity", True),
    ("religion", "Religion", False),
    ("sexual_orientation", "Sexual orientation", False),
    ("disability", "Disability", False),
    ("nationality", "Nationality", False),
    ("postcode", "Postcode", False),
    ("district", "District", False),
    ("gp_practice", "GP practice", False),
    ("next_of_kin", "Next of kin", False),
    ("primary_substance", "Primary substance", False),
)


SECTIONS: tuple[SectionDef, ...] = (
    SectionDef(
        "goals", "Goals and aims agreed with the resident", "4.1.5.3.1", True,
        "Set with the resident, in their own words. Each goal needs at least one action with who "
        "will do it and by when.",
        GOALS,
        (FieldDef("aims", "Overall aims of treatment and support",
                  hint="What the resident wants from this placement, in their words."),),
    ),
    SectionDef(
        "key_worker", "Named key worker", "4.1.5.3.2", True,
        "The key worker named on the admission, responsible for delivering and coordinating the plan.",
        FROM_RECORD,
    ),
    SectionDef(
        "risk_contingency", "Risk assessment and contingency plan", "4.1.5.3.3, 4.1.7.5", True,
        "The current risk assessment's summary and its contingency plan for an unplanned or "
        "disciplinary discharge, from the Risk tab. The plan cannot be completed without them.",
        FIELDS,
        (
            FieldDef("risk_summary", "Risk assessment summary", required=False,
                     hint="From the current risk assessment on the Risk tab."),
            FieldDef("contingency", "Contingency plan for an unplanned discharge", required=False,
                     hint="From the current risk assessment on the Risk tab."),
            FieldDef("naloxone", "Naloxone and harm reduction advice",
                     hint="Naloxone kit and overdose advice given or to be given on any discharge."),
            FieldDef("ctp_referral", "Referral back to the Community Treatment Provider",
                     hint="Consent and arrangements to refer back to the CTP on an unplanned discharge."),
            FieldDef("risk_management", "Risk management plan",
                     hint="What staff will do to manage identified risks, including on unplanned exit."),
        ),
    ),
    SectionDef(
        "confidentiality", "Confidentiality and information sharing", "4.1.5.3.4", True,
        "The agreement in line with UK GDPR: what is shared, with whom, and the limits of confidentiality.",
        FIELDS,
        (
            FieldDef("agreement", "Confidentiality and information-sharing agreement",
                     hint="Explained to the resident; limits of confidentiality (safeguarding, risk to life)."),
            FieldDef("share_with", "Agreed to share with",
                     hint="Referrer, Community Treatment Provider, GP, probation, family ..."),
            FieldDef("restrictions", "Restrictions the resident asked for", required=False),
        ),
    ),
    SectionDef(
        "demographics", "About the resident", "4.1.5.3.5", True,
        "Taken from the resident's record. Sex and ethnicity must be recorded ('Prefer not to say' counts).",
        FROM_RECORD,
    ),
    SectionDef(
        "domains", "Interventions beyond substance use", "4.1.5.3.6", True,
        "For each domain: the need and the interventions, or mark 'no needs identified'.",
        DOMAINS,
    ),
    SectionDef(
        "mutual_aid_relapse", "Mutual aid and relapse prevention before discharge", "4.1.5.3.7", True,
        "How the resident will be supported to reach open-access mutual aid and relapse prevention "
        "(e.g. RIO, Lancashire User Forum) and non-substance support before discharge.",
        FIELDS,
        (
            FieldDef("mutual_aid", "Mutual aid and recovery community arrangements"),
            FieldDef("relapse_prevention", "Relapse prevention plan"),
        ),
    ),
    SectionDef(
        "follow_ups", "Follow-ups at 3 and 6 months", "4.1.5.3.8", True,
        "How and by whom the resident will be contacted 3 and 6 months after completing treatment.",
        FIELDS,
        (
            FieldDef("arrangements", "Arrangements for the 3- and 6-month follow-ups"),
            FieldDef("contact_consent", "Consent and preferred contact details", multiline=False),
        ),
    ),
    SectionDef(
        "induction_conduct", "Induction, code of conduct and boundaries", "4.1.4.2, 4.1.4.3", True,
        "The resident's induction, the code of conduct, and behavioural boundaries for the resident "
        "and for the unit.",
        FIELDS,
        (
            FieldDef("induction", "Induction completed", hint="When and by whom; what was covered."),
            FieldDef("code_of_conduct", "Code of conduct explained and agreed"),
            FieldDef("boundaries", "Boundaries for the resident and for the unit"),
        ),
    ),
)

SECTIONS_BY_KEY: dict[str, SectionDef] = {s.key: s for s in SECTIONS}


def section(key: str) -> SectionDef:
    return SECTIONS_BY_KEY[key]

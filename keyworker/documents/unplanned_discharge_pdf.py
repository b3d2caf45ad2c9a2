"""The brief out-of-hours discharge summary (specification 4.1.7.12): for the referring social
worker and the GP, sent at once through the outbox, to be followed up by phone. The unit's
letterhead; what happened and when; what was done about overdose and homelessness; current
medication; the latest risk assessment with its contingency plan. No internal codes: every
value is in words. Built with keyworker/documents/layout.py as the other letters are."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from keyworker import risk_domains as rd
from keyworker.clock import format_date, format_datetime
from keyworker.documents.layout import fields, grid, heading, letterhead, markup, para, render, spacer
from keyworker.nhs import format_nhs_number

if TYPE_CHECKING:
    from keyworker.db.caseload import Admission, Resident
    from keyworker.discharges import DischargeView
    from keyworker.medication import MedicationCourse
    from keyworker.risk import RiskView
    from keyworker.unit_profile import UnitProfile

TITLE = "Unplanned discharge: out-of-hours summary"
FREEZE_TITLE = "Treatment frozen: out-of-hours summary"


def title_for(view: DischargeView) -> str:
    return FREEZE_TITLE if view.type.startswith("freeze_") else TITLE


def build(view: DischargeView, res: Resident, adm: Admission, medication: Sequence[MedicationCourse],
          risk: RiskView | None, *, profile: UnitProfile, generated_at: datetime, recorded_by: str,
          out_of_hours_phone: str, draft: bool = False) -> bytes:
    title = title_for(view)
    return render([*letterhead(profile), *_story(view, res, adm, medication, risk, profile, recorded_by,
                                                 out_of_hours_phone, title)],
                  title=title, profile=profile, generated_at=generated_at, subject=f"{title}: {res.reference}",
                  running_header=f"{view.resident_name}  ·  {view.reference}", draft=draft)


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _story(view: DischargeView, res: Resident, adm: Admission, medication: Sequence[MedicationCourse],
           risk: RiskView | None, profile: UnitProfile, recorded_by: str, phone: str,
           title: str) -> list[Flowable]:
    unit = profile.unit_name or "the unit"
    story: list[Flowable] = [para(title, "title"),
                             markup("<b>Please follow up by phone.</b>"),
                             para(f"This brief summary is sent straight away, as our contract with the Authority asks. "
                                  f"{unit} will telephone you at the earliest opportunity to follow it "
                                  "up" + (f"; if you have not heard from us, please call {profile.phone}" if
                                          profile.phone else "")
                                  + f". The complete discharge summary follows by {format_datetime(view.summary_due_at)}"
                                  " (within 24 hours).")]
    story += resident_section(view, res, adm)
    story += event_section(view, recorded_by)
    story += harm_section(view)
    story += medication_section(medication, "Current medication")
    story += risk_section(risk)
    story.append(heading("Out of hours"))
    story.append(para(f"Out-of-hours adult social care: {phone}."))
    story.append(spacer(2))
    return story


# -- sections the complete discharge summary (discharge_summary_pdf.py) shares ----------------
def resident_section(view: DischargeView, res: Resident, adm: Admission) -> list[Flowable]:
    return [heading("Resident"), fields([
        ("Name", view.resident_name),
        ("Date of birth", format_date(res.date_of_birth)),
        ("NHS number", format_nhs_number(res.nhs_number) or "Not recorded"),
        ("Our reference", view.reference),
        ("GP practice", res.gp_practice or "Not recorded"),
        ("Admitted", format_date(adm.admitted_on)),
    ])]


def event_section(view: DischargeView, recorded_by: str) -> list[Flowable]:
    rows: list[tuple[str, str | None]] = [
        ("Type", view.type_label),
        ("Date and time", format_datetime(view.occurred_at)),
    ]
    if view.reason_label:
        rows.append(("Discharge reason", view.reason_label))
    rows += [("What happened", view.circumstances), ("Where the resident went", view.destination or "Not known")]
    if view.night_reason:
        rows.append(("Why at night", view.night_reason))
    rows += [("Recorded by", recorded_by), ("Senior agreement", agreement(view))]
    return [heading("What happened"), fields(rows)]


def harm_section(view: DischargeView) -> list[Flowable]:
    harm = [("At risk of opiate overdose", _yes(view.overdose_risk))]
    if view.overdose_risk:
        harm += [("Naloxone supplied", _yes(view.naloxone_supplied)),
                 ("Harm-reduction advice given", _yes(view.harm_reduction_advice)),
                 ("Referred back to the Community Treatment Provider",
                  _yes(view.ctp_referral_made) if view.ctp_consent else "No consent to this was given at admission")]
    harm.append(("At risk of homelessness", _yes(view.homelessness_risk)))
    if view.homelessness_risk:
        harm.append(("District council (duty to refer)",
                     f"{view.council_name or ''}: " + ("referred" if view.council_referral_made else "not yet referred")))
    return [heading("Overdose risk and housing"), fields(harm)]


def medication_section(medication: Sequence[MedicationCourse], title: str) -> list[Flowable]:
    if not medication:
        return [heading(title), para("No current medication is recorded.")]
    return [heading(title), grid(["Medicine", "How taken", "Prescriber", "Since"],
                                 [[m.name, m.how_taken, m.prescriber or "", format_date(m.started_on)]
                                  for m in medication], [44, 66, 36, 24])]


def risk_section(risk: RiskView | None, title: str = "Risk assessment") -> list[Flowable]:
    story: list[Flowable] = [heading(title)]
    if risk is None:
        story.append(para("There is no risk assessment on record for this stay. The unit will send its risk "
                          "analysis separately."))
        return story
    story.append(fields([("Overall risk", risk.overall_label),
                         ("Assessed", f"Version {risk.number}, saved {format_datetime(risk.saved_at)}"
                                      + (f" by {risk.saved_by}" if risk.saved_by else ""))]))
    story.append(heading("Contingency plan for an unplanned discharge", 3))
    story.append(fields([(label, getattr(risk.contingency, key) or "Not yet agreed")
                         for key, label in rd.CONTINGENCY_FIELDS.items()]))
    # Brief: the areas above low (the full assessment is the risk analysis sent beside it).
    raised = [d for d in risk.domains if d.rating != rd.LOW]
    story.append(heading("Risk areas rated above low", 3))
    if raised:
        story.append(grid(["Risk area", "Rating", "Evidence"],
                          [[d.label, d.rating_label, d.evidence] for d in raised], [44, 20, 106]))
    else:
        story.append(para("Every risk area is rated low."))
    if risk.actions:
        story.append(heading("Risk management plan", 3))
        story.append(grid(["What will be done", "Who", "By when"],
                          [[a.what, a.who, format_date(a.by_when)] for a in risk.actions], [100, 44, 26]))
    return story


def agreement(view: DischargeView) -> str:
    if view.type.startswith("freeze_"):
        return "Not needed for a freeze of treatment"
    if view.state == "confirmed":
        return f"Confirmed by {view.second_person_name or 'a senior manager'}"
    if view.second_how == "phone" and view.phone_agreed_at is not None:
        return (f"Agreed by phone with {view.second_person_name or 'a senior manager'} at "
                f"{format_datetime(view.phone_agreed_at)}; to be confirmed")
    return "Awaiting senior confirmation"

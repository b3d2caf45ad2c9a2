"""The complete discharge summary of an unplanned discharge (specification 4.1.7.13: due within
24 hours), for the referrer and the Authority's representative, and the page a manager prints.

The unit's letterhead, our reference and the date; the resident and the stay's dates; what
happened (the type in words, when, the circumstances, where the resident went) and the second
person's agreement; who was told (the notification checklist); medication at discharge; risk at
discharge with the contingency plan; harm reduction and the duty to refer; what follows; signed
with a job title. The sections it shares with the brief out-of-hours summary come from
keyworker/documents/unplanned_discharge_pdf.py. No internal codes and no clause numbers."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from keyworker.clock import format_date, format_datetime, to_local
from keyworker.documents.layout import (
    fields,
    grid,
    heading,
    keep,
    letterhead,
    para,
    references,
    render,
    signatory,
    spacer,
)
from keyworker.documents.unplanned_discharge_pdf import (
    event_section,
    harm_section,
    medication_section,
    resident_section,
    risk_section,
)

if TYPE_CHECKING:
    from keyworker.db.caseload import Admission, Resident
    from keyworker.discharges import ChecklistItem, DischargeView
    from keyworker.medication import MedicationCourse
    from keyworker.risk import RiskView
    from keyworker.unit_profile import UnitProfile

TITLE = "Complete discharge summary"
FREEZE_TITLE = "Treatment frozen: complete summary"
STATUS_WORDS = {"done": "Told", "outstanding": "Still to do", "not_needed": "Not needed (not involved)",
                "not_allowed": "Not told: no consent"}
METHOD_WORDS = {"phone": "Phone", "secure_email": "Secure email", "letter": "Letter", "not_needed": ""}


def title_for(view: DischargeView) -> str:
    return FREEZE_TITLE if view.type.startswith("freeze_") else TITLE


def build(view: DischargeView, res: Resident, adm: Admission, medication: Sequence[MedicationCourse],
          risk: RiskView | None, checklist: Sequence[ChecklistItem], *, profile: UnitProfile,
          generated_at: datetime, signed_by: str, job_title: str | None, recorded_by: str,
          draft: bool = False) -> bytes:
    title = title_for(view)
    story = [*letterhead(profile),
             references(view.reference, dated=to_local(generated_at).date()), spacer(2),
             para(title, "title"),
             *_story(view, res, adm, medication, risk, checklist, profile, recorded_by),
             # What follows stays with the signature, so a signature never stands alone on a page.
             keep(*_what_follows(view, checklist, profile), spacer(2),
                  signatory(signed_by, job_title, profile.unit_name, closing="Signed,"))]
    return render(story, title=title, profile=profile, generated_at=generated_at,
                  subject=f"{title}: {res.reference}", running_header=f"{view.resident_name}  ·  {view.reference}",
                  draft=draft)


def _stay_section(view: DischargeView, adm: Admission) -> list[Flowable]:
    ended = to_local(view.occurred_at).date()
    rows: list[tuple[str, str | None]] = [("Admitted", format_date(adm.admitted_on))]
    if view.type.startswith("freeze_"):
        rows.append(("Treatment frozen", format_date(ended)))
        if view.resumed_at is not None:
            rows.append(("Treatment resumed", format_date(to_local(view.resumed_at).date())))
    else:
        days = (ended - adm.admitted_on).days
        rows += [("Left the unit", format_date(ended)),
                 ("Length of stay", f"{days} day{'s' if days != 1 else ''}")]
    return [heading("The stay"), fields(rows)]


def _told_section(checklist: Sequence[ChecklistItem]) -> list[Flowable]:
    rows = [[i.label, STATUS_WORDS.get(i.status, ""),
             METHOD_WORDS.get(i.method or "", "") + (f", {format_datetime(i.at)}" if i.at and i.method else ""),
             i.by_name or "", "; ".join(x for x in (i.contact, i.outcome) if x) or i.note]
            for i in checklist]
    return [heading("Who was told"), grid(["Who", "Status", "How and when", "By", "Outcome"], rows,
                                          [42, 24, 34, 24, 46])]


def _what_follows(view: DischargeView, checklist: Sequence[ChecklistItem], profile: UnitProfile) -> list[Flowable]:
    unit = profile.unit_name or "The unit"
    out: list[Flowable] = [heading("What follows")]
    if view.type.startswith("freeze_") and view.ended_later:
        out.append(para("The stay has since ended: its own discharge summary says how."))
    elif view.type.startswith("freeze_") and view.resumed_at is not None:
        out.append(para("Treatment resumed after reassessment, in the same placement."))
    elif view.type.startswith("freeze_"):
        out.append(para(f"The resident's place is held while treatment is frozen. {unit} will reassess them "
                        "before treatment resumes and will tell you the outcome."))
    else:
        out.append(para("The placement has ended. The Community Treatment Provider and the referrer are asked to "
                        "pick up the resident's care in the community; please contact us if you need anything "
                        "from the record."))
    if view.homelessness_risk and not view.council_referral_made:
        out.append(para(f"The referral to {view.council_name or 'the district council'} under the duty to refer "
                        "is still to be made."))
    outstanding = [i.label for i in checklist if i.status == "outstanding"]
    if outstanding:
        out.append(para("Still to be told: " + "; ".join(outstanding) + "."))
    else:
        out.append(para("Everyone on the notification list has been told, or did not need to be."))
    if profile.phone:
        out.append(para(f"To talk about this summary, call {profile.phone} and quote our reference."))
    return out


def _story(view: DischargeView, res: Resident, adm: Admission, medication: Sequence[MedicationCourse],
           risk: RiskView | None, checklist: Sequence[ChecklistItem], profile: UnitProfile,
           recorded_by: str) -> list[Flowable]:
    what = "summary of the freeze of the treatment of" if view.type.startswith("freeze_") else \
        "discharge summary for"
    return [para(f"This is the complete {what} {view.resident_name}. It follows the brief summary "
                 f"sent at the time, and replaces it."),
            *resident_section(view, res, adm),
            *_stay_section(view, adm),
            *event_section(view, recorded_by),
            *_told_section(checklist),
            *medication_section(medication, "Medication at discharge"),
            *risk_section(risk, "Risk at discharge"),
            *harm_section(view)]

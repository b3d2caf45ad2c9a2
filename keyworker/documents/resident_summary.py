"""The resident summary: one printable page for handover and out-of-hours staff. Who the resident
is (NHS number 3-3-4), their admission and key worker, whom to call, what they use, and what they
take now: each medicine with its dose, how often and how it is taken."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from keyworker.clock import format_date
from keyworker.documents.layout import fields, grid, heading, para, render, spacer
from keyworker.nhs import format_nhs_number

if TYPE_CHECKING:
    from keyworker.medication import ConsentView, MedicationSummary
    from keyworker.residents import ResidentRecord
    from keyworker.unit_profile import UnitProfile

TITLE = "Resident summary"
MEDICATION_HEADER = ("Medicine", "Dose", "How often", "How taken", "Since", "Prescriber")
MEDICATION_WIDTHS = (34, 22, 28, 28, 26, 32)  # mm; a date fits its column unbroken


def medication_rows(medication: MedicationSummary) -> list[list[str | None]]:
    return [[c.name, c.dose_text, c.frequency_text, c.route_label, format_date(c.started_on), c.prescriber]
            for c in medication.current]


def build(record: ResidentRecord, medication: MedicationSummary, consents: Sequence[ConsentView], *,
          profile: UnitProfile, generated_at: datetime) -> bytes:
    return render(_story(record, medication, consents), title=TITLE, profile=profile, generated_at=generated_at,
                  subject=f"{TITLE}: {record.reference}",
                  running_header=f"{record.display_name}  ·  {record.reference}")


def _story(record: ResidentRecord, medication: MedicationSummary,
           consents: Sequence[ConsentView]) -> list[Flowable]:
    adm = record.current_admission
    name = record.full_name + (f" (known as {record.preferred_name})"
                               if record.preferred_name and record.preferred_name != record.given_name else "")
    story: list[Flowable] = [para(TITLE, "title"), fields([
        ("Name", name),
        ("Reference", record.reference),
        ("Date of birth", f"{format_date(record.date_of_birth)} (age {record.age})"),
        ("NHS number", format_nhs_number(record.nhs_number) or "Not recorded"),
        ("Key worker", record.key_worker_name or "None named"),
    ])]
    story.append(heading("Admission"))
    if adm is None:
        last = record.admissions[0] if record.admissions else None
        story.append(para(f"Discharged {format_date(last.discharged_on)}." if last and last.discharged_on
                          else "Not currently admitted."))
    else:
        story.append(fields([
            ("Admitted", format_date(adm.admitted_on)),
            ("Week", adm.week_label or "Not started"),
            ("Setting", f"{adm.setting_label}, {adm.strand_label}"),
            ("Planned end", f"{format_date(adm.planned_end_on)} ({adm.planned_weeks} weeks)"),
            ("Attendance", ("Part-time" + (f": {adm.part_time_notes}" if adm.part_time_notes else ""))
             if adm.part_time else "Full-time"),
        ]))
    story.append(heading("Current medication"))
    rows = medication_rows(medication)
    if rows:
        story.append(grid(MEDICATION_HEADER, rows, MEDICATION_WIDTHS))
    else:
        story.append(para("No current medication recorded."))
    story.append(heading("Contacts"))
    kin = ", ".join(x for x in (record.next_of_kin_name, record.next_of_kin_relationship) if x)
    story.append(fields([
        ("GP practice", record.gp_practice),
        ("Next of kin", kin or None),
        ("Next of kin's phone", record.next_of_kin_phone),
    ]))
    story.append(heading("Substances"))
    others = ", ".join(s + (f" ({r.lower()})" if r else "") for s, r in record.other_substances)
    main = record.primary_substance + (f" ({record.primary_route.lower()})" if record.primary_route else "") \
        if record.primary_substance else None
    story.append(fields([("Main substance", main), ("Other substances", others or None)]))
    current = [c for c in consents if c.current]
    if current:
        story.append(heading("Consents"))
        story.append(fields([(c.kind_label, ("Given" if c.given else "Refused")
                              + (f" (with {', '.join(c.parties)})" if c.parties else "")
                              + f", {format_date(c.recorded_on)}") for c in current]))
    story.append(spacer(2))
    return story

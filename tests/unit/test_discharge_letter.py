"""The planned discharge letter parsed back with pypdf: the letterhead, every required section and
the resident's details, the treatment provided from key-work sessions and the care plan, the
follow-up dates; DRAFT only until a senior signs; no internal codes or clause numbers; the Outcome
Star and TOP section appears only when the outcomes hook gives it something."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from reportlab.platypus import Paragraph

from keyworker.documents import discharge_letter
from keyworker.documents.layout import STYLES
from keyworker.key_work_input import SessionInput
from tests.conftest import UNIT_PROFILE
from tests.unit.care_helpers import full_content
from tests.unit.test_discharge_plans import plan_input, unit  # noqa: F401 - the fixture

SECTIONS = ("Discharge summary", "Resident", "The stay", "Treatment provided", "Care plan and reviews",
            "Goals achieved", "Risk at discharge", "Contingency plan", "Medication on discharge",
            "Recommendations for the future", "Aftercare and follow-up", "Sign-off")


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def with_treatment(manager, worker, resident_id: str, admission_id: str, weeks: int = 4) -> None:  # type: ignore[no-untyped-def]
    worker.care_plans.save_draft(admission_id, full_content(3))
    for w in range(weeks):
        worker.key_work.record(SessionInput(resident_id=resident_id, held_on=date(2026, 1, 6) + timedelta(days=7 * w),
                                            start_time="10:30", duration_minutes=50, kind="one_to_one",
                                            outcome="attended", notes="Talked about cravings at weekends."))


@pytest.fixture
def signed(unit):  # type: ignore[no-untyped-def]  # noqa: F811
    manager, worker, resident_id, admission_id = unit
    with_treatment(manager, worker, resident_id, admission_id)
    worker.discharge_plans.save(plan_input(resident_id))
    draft = worker.discharge_plans.preview_letter(resident_id)
    worker.discharge_plans.complete(resident_id, "30/03/2026")
    completed = worker.discharge_plans.preview_letter(resident_id)
    manager.discharge_plans.sign(resident_id)
    return draft, completed, manager.discharge_plans.preview_letter(resident_id)


def test_every_section_and_the_residents_details(signed) -> None:  # type: ignore[no-untyped-def]
    *_, final = signed
    text = text_of(final)
    for expected in (*SECTIONS, UNIT_PROFILE["unit_name"], "Jane Doe", "04/03/1990", "Our reference",
                     "05/01/2026", "30/03/2026", "24-hour residential" if "24-hour residential" in text else "24",
                     "Key-work sessions and groups attended", "Care plan version 1",
                     "I want to stay off heroin for good.", "Abstinent for twelve weeks",
                     "SMART Recovery, Tuesdays, Preston", "Inspire Lancashire", "Housing options referral made",
                     "Home visits made", "30/06/2026", "30/09/2026", "Medium", "Treatment completed: drug-free",
                     "Completed programme, to community services", "Sam Worker", "Morgan Manager"):
        assert expected in text, expected


def test_draft_only_until_a_senior_signs(signed) -> None:  # type: ignore[no-untyped-def]
    draft, completed, final = signed
    assert "DRAFT" in text_of(draft) and "DRAFT" in text_of(completed)
    assert "Not yet signed" in text_of(completed)
    assert "DRAFT" not in text_of(final) and "Not yet signed" not in text_of(final)


def test_no_internal_codes_or_clause_numbers(signed) -> None:  # type: ignore[no-untyped-def]
    for pdf in signed:
        text = text_of(pdf)
        for code in ("planned_completed", "completed_drug_free", "further_residential", "24h_residential", "level_1",
                     "one_to_one", "awaiting_senior", "not_started", "substance_use", "None"):
            assert re.search(rf"\b{code}\b", text) is None, code
        assert re.search(r"\b\d+\.\d+\.\d+", text) is None  # no specification clause numbers


def test_outcomes_appear_only_when_the_hook_gives_them(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, worker, resident_id, _ = unit
    worker.discharge_plans.save(plan_input(resident_id))
    assert "Outcome Star" not in text_of(worker.discharge_plans.preview_letter(resident_id))
    monkeypatch.setattr(discharge_letter, "outcomes_section",
                        lambda s, a: [Paragraph("Distance travelled: 12 points.", STYLES["body"])])
    text = text_of(worker.discharge_plans.preview_letter(resident_id))
    assert "Outcome Star and TOP" in text and "Distance travelled: 12 points." in text


def test_a_long_stay_lays_out_over_pages(unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    manager, worker, resident_id, admission_id = unit
    with_treatment(manager, worker, resident_id, admission_id, weeks=11)
    long = "Recommendation line. " * 180
    worker.discharge_plans.save(plan_input(resident_id, recommendations=long, goals_achieved=long))
    pdf = worker.discharge_plans.preview_letter(resident_id)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    text = text_of(pdf)
    assert "Sign-off" in text and text.count("Recommendation line.") == 360

"""The printed plan (the resident's copy) and the invitation letter, parsed back with pypdf."""
from __future__ import annotations

import io
import json
from datetime import date, datetime

from pypdf import PdfReader
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.db.foundation import AuditEntry
from keyworker.plan_sections import SECTIONS
from keyworker.care_plans import Goal, GoalAction
from tests.unit.care_helpers import admit, assess_risk, full_content


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_plan_pdf_has_every_section_the_name_and_the_goals(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book, given="Dana", family="O'Neill <Jr>")
    content = full_content(3)
    view = worker_book.care_plans.save_draft(aid, content)
    assess_risk(worker_book, aid)
    view = worker_book.care_plans.mark_complete(view.plan_id)
    worker_book.care_plans.record_agreement(view.plan_id, date(2026, 1, 5), "signed_paper")
    preview = worker_book.care_plans.pdf(view.plan_id)
    pdf = preview.content
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "Treatment and Recovery Care Plan" in text
    for sec in SECTIONS:
        assert sec.heading in text, sec.heading
    assert "Dana O'Neill <Jr>" in text
    for goal in content.goals:
        assert goal.goal in text
    assert "Sam Worker" in text and "Signed paper copy" in text and "Page 1 of" in text
    worker_book.documents.keep(preview, "print")
    docs = worker_book.documents.list(resident_id=rid, kind="care_plan")
    assert len(docs) == 1 and docs[0].subject_id == view.version.id and "v1" in docs[0].title
    with worker_book._read() as s:
        previewed = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.preview")).one()
        printed = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.print")).one()
    assert json.loads(previewed.detail)["version"] == 1 and printed.entity_id == docs[0].id


def test_a_draft_prints_marked_as_draft_and_an_old_version_can_be_printed(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(1))
    assert "Draft (not yet complete)" in _text(worker_book.care_plans.pdf(view.plan_id).content)
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    c = done.content.copy()
    c.goals[0].goal = "Stay clean and get back to work"
    v2 = worker_book.care_plans.revise(done.plan_id, c, "Goal reworded")
    text = _text(worker_book.care_plans.pdf(done.plan_id, done.version.id).content)
    assert "I want to stay off heroin for good." in text and "back to work" not in text
    text2 = _text(worker_book.care_plans.pdf(done.plan_id).content)
    assert "Stay clean and get back to work" in text2 and "Goal reworded" in text2
    assert v2.version.number == 2


def test_invitation_letter_pdf(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book, planned_weeks=18)
    clock.set(datetime(2026, 2, 23, 10, 0))
    doc = worker_book.reviews.invitation_letter(aid, date(2026, 3, 9), meeting_time="14:00",
                                                venue="Ribble House").document
    assert "mid-way review" in doc.title
    text = _text(doc.content)
    for expected in ("Dear Priya Shah", "Mid-way review", "9 March 2026", "14:00", "Dana Whitfield", "Ribble House",
                     "Sam Worker"):
        assert expected in text, expected


def test_a_long_plan_names_the_resident_on_every_page_and_lines_its_headings_up(worker_book: Casebook) -> None:
    _, aid = admit(worker_book, given="Dana", family="Whitfield")
    content = full_content(3)
    long = " ".join(f"Step {i}: check in with the night staff and write it in the log." for i in range(250))
    content.set("risk_contingency", "risk_management", long)  # one answer longer than a page
    for i in range(12):
        content.goals.append(Goal(domain="family", goal=f"Family goal {i}: rebuild contact step by step.",
                                  status="in_progress", actions=[GoalAction("Family session", "Sam Worker",
                                                                            date(2026, 2, 1))],
                                  progress_notes=f"Goal {i} progress note.\nSecond line of notes."))
    view = worker_book.care_plans.save_draft(aid, content)
    pdf = worker_book.care_plans.pdf(view.plan_id).content
    reader = PdfReader(io.BytesIO(pdf))
    pages = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert "Dana Whitfield" in text and view.reference in text, number
        assert "CONFIDENTIAL" in text and f"Page {number} of {len(pages)}" in text
    assert " ".join(pages).count("Step 249: check in with the night staff") == 1
    # every section heading, "Agreement" included, starts on the same left edge as the field labels
    lefts: dict[str, float] = {}
    for page in reader.pages:
        def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            lefts.setdefault(text.strip(), tm[4] * cm[0] + cm[4])
        page.extract_text(visitor_text=visit)
    edge = lefts["Resident"]
    for heading in [sec.heading for sec in SECTIONS] + ["Agreement", "Resident's signature"]:
        assert abs(lefts[heading] - edge) < 0.5, heading


def test_a_regular_review_invitation_is_called_a_care_plan_review(worker_book: Casebook, clock) -> None:
    _, aid = admit(worker_book, planned_weeks=18)
    doc = worker_book.reviews.invitation_letter(aid, date(2026, 1, 19), kind="regular").document
    text = _text(doc.content)
    assert "Invitation to a review meeting: Care plan review" in text
    assert "You are invited to the care plan review for Dana Whitfield" in text

"""What goes on paper: the care plan printout (DRAFT on every page of a draft, what is missing, the
version the resident agreed, the signatures kept with the end of the plan), the recovery-key
sheet, and preview is not storage (a previewed document is filed only when printed, saved or sent).
Every PDF is parsed back with pypdf, page by page."""
from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.care_plans import Goal, GoalAction
from keyworker.db.foundation import AuditEntry
from keyworker.documents import recovery_key_sheet
from keyworker.errors import ValidationError
from tests.unit.care_helpers import admit, assess_risk, full_content


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _long_content(goals: int = 10):  # type: ignore[no-untyped-def]
    content = full_content(3)
    for i in range(goals):
        content.goals.append(Goal(domain="family", goal=f"Family goal {i}: rebuild contact step by step.",
                                  status="in_progress",
                                  actions=[GoalAction("Family session", "Sam Worker", date(2026, 2, 1))]))
    return content


def _actions(book: Casebook, action: str) -> list[AuditEntry]:
    with book._read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# -- the care plan printout -------------------------------------------------------------------
def test_every_page_of_a_draft_plan_says_draft_and_lists_what_is_missing(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    content = _long_content()
    content.set("follow_ups", "arrangements", "")  # one required answer left out
    view = worker_book.care_plans.save_draft(aid, content)
    pages = _pages(worker_book.care_plans.pdf(view.plan_id).content)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "DRAFT" in text, f"page {number} of a draft is not marked DRAFT"
    assert "Draft: still missing" in pages[0]
    missing = worker_book.care_plans.missing_sections(aid)
    assert missing and all(m.heading in " ".join(pages) for m in missing)
    assert "Follow-ups at 3 and 6 months" in {m.heading for m in missing}


def test_a_complete_plan_carries_no_draft_mark(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, _long_content())
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    pages = _pages(worker_book.care_plans.pdf(done.plan_id).content)
    assert len(pages) >= 3
    assert not any("DRAFT" in text or "still missing" in text for text in pages)


def test_the_agreement_names_the_version_agreed_and_says_when_the_plan_changed_since(
        worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(2))
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    worker_book.care_plans.record_agreement(done.plan_id, date(2026, 1, 5), "signed_paper")
    agreed = " ".join(_pages(worker_book.care_plans.pdf(done.plan_id).content))
    assert "Version agreed 1" in agreed and "changed since" not in agreed
    c = done.content.copy()
    c.goals[0].goal = "Stay clean and get back to work"
    worker_book.care_plans.revise(done.plan_id, c, "Goal reworded at review")
    current = " ".join(_pages(worker_book.care_plans.pdf(done.plan_id).content))
    assert "Version agreed 1" in current
    assert "This plan has changed since the resident agreed to it: they agreed version 1, and this is version 2" \
        in current
    old = " ".join(_pages(worker_book.care_plans.pdf(done.plan_id, done.version.id).content))
    assert "changed since" not in old  # the version agreed, printed again


def test_the_plan_carries_the_unit_letterhead_and_footer_from_the_profile(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, _long_content())
    pages = _pages(worker_book.care_plans.pdf(view.plan_id).content)
    for expected in ("Test House", "1 Example Street", "PR1 2AB", "01772 123456", "test.unit@nhs.net"):
        assert expected in pages[0], expected
    for number, text in enumerate(pages, start=1):
        assert "Test Recovery Services Ltd" in text and "CQC registered location: 1-000000001" in text, number
    reader = PdfReader(io.BytesIO(worker_book.care_plans.pdf(view.plan_id).content))
    assert reader.pages[0].images, "the unit's logo is on page 1"


def test_a_plan_not_yet_agreed_says_so_with_the_version_printed(worker_book: Casebook) -> None:
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(1))
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    text = " ".join(_pages(worker_book.care_plans.pdf(done.plan_id).content))
    assert "Agreed by the resident Not yet recorded" in text and "Version printed 1" in text


@pytest.mark.parametrize("goals", range(0, 16))
def test_the_signatures_are_on_the_last_page_with_the_end_of_the_plan(worker_book: Casebook, goals: int) -> None:
    """Whatever the plan's length, the signature block never stands on a page of its own: the
    plan's last answer comes with it. (Sixteen lengths move the page break through the block.)"""
    _, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, _long_content(goals))
    assess_risk(worker_book, aid)
    done = worker_book.care_plans.mark_complete(view.plan_id)
    pages = _pages(worker_book.care_plans.pdf(done.plan_id).content)
    last = pages[-1]
    assert all("Resident's signature" not in p for p in pages[:-1])
    assert "Resident's signature" in last and "Key worker's signature" in last and "Date" in last
    assert "Boundaries for the resident and for the unit" in last, f"{len(pages)} pages: signatures alone"
    assert "Agreement" in last


# -- preview is not storage -------------------------------------------------------------------
def test_previewing_a_plan_files_nothing_and_printing_it_files_it_once(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(1))
    preview = worker_book.care_plans.pdf(view.plan_id)
    worker_book.care_plans.pdf(view.plan_id)  # looked at twice
    assert worker_book.documents.list(resident_id=rid) == []
    assert len(_actions(worker_book, "document.preview")) == 2 and not _actions(worker_book, "document.create")
    kept = worker_book.documents.keep(preview, "print")
    again = worker_book.documents.keep(preview, "save")  # the same document printed, then saved
    docs = worker_book.documents.list(resident_id=rid, kind="care_plan")
    assert [d.id for d in docs] == [kept.id] == [again.id]
    assert worker_book.documents.content(kept.id) == preview.content
    assert "DRAFT" in docs[0].title and "v1" in docs[0].title
    assert len(_actions(worker_book, "document.create")) == 1
    assert [e.entity_id for e in _actions(worker_book, "document.print")] == [kept.id]
    assert [e.entity_id for e in _actions(worker_book, "document.save")] == [kept.id]
    assert json.loads(_actions(worker_book, "document.preview")[0].detail)["kind"] == "care_plan"


def test_an_invitation_is_filed_only_when_sent(worker_book: Casebook, clock) -> None:  # type: ignore[no-untyped-def]
    rid, aid = admit(worker_book, planned_weeks=18)
    preview = worker_book.reviews.invitation_letter(aid, date(2026, 1, 26), meeting_time="10:30").document
    assert worker_book.documents.list(resident_id=rid) == []
    worker_book.documents.keep(preview, "send")
    assert [d.kind for d in worker_book.documents.list(resident_id=rid)] == ["review_invitation"]


def test_a_preview_changed_after_it_was_made_is_not_kept(worker_book: Casebook) -> None:
    rid, aid = admit(worker_book)
    view = worker_book.care_plans.save_draft(aid, full_content(1))
    preview = worker_book.care_plans.pdf(view.plan_id)
    for forged in (dataclasses.replace(preview, content=b"%PDF-1.4 something else"),
                   dataclasses.replace(preview, resident_id="someone-else"),
                   dataclasses.replace(preview, title="Care plan v9")):
        with pytest.raises(ValidationError, match="changed after it was made"):
            worker_book.documents.keep(forged, "print")
    with pytest.raises(ValidationError):
        worker_book.documents.keep(preview, "view")
    assert worker_book.documents.list(resident_id=rid) == []


# -- the recovery-key sheet -------------------------------------------------------------------
def test_the_recovery_key_sheet_names_the_unit_date_and_creator_and_says_what_to_do() -> None:
    key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z2345-67ABC-DEFGH"
    pdf = recovery_key_sheet.build(unit_name="Ribble House", recovery_key=key, created_by="Ada Lovelace",
                                   created_at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC), database_name="unit.kwdb")
    pages = _pages(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in ("Ribble House", "1 December 2026", "01/12/2026", "Ada Lovelace", "unit.kwdb",
                     "ABCDE FGHIJ KLMNO PQRST", "UVWXY Z2345 67ABC DEFGH",
                     "What this key is for", "Where to keep it", "How to use it",
                     "Forgotten password? Use the recovery key…", "Step 1 of 2", "Step 2 of 2", "locked away"):
        assert expected in text, expected

"""The demo's discharges (issue 13): every past stay has its discharge, planned ones with their
completed plan and (for a completed programme) 3- and 6-month follow-ups, some done with an
outcome and contact attempts, some still due; unplanned ones of every type, some awaiting a
senior and some with the complete summary overdue (so `check` reports both); freezes, one
resumed and one frozen then discharged; the complete summaries made are real PDFs to print."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from keyworker import discharge_summaries as ds
from keyworker.casebook import Casebook
from keyworker.clock import local_today
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge, DischargePlan, FollowUp, FollowUpAttempt
from keyworker.demo import populate


def test_demo_discharges(manager_book: Casebook) -> None:
    populate(manager_book, 80, seed=5)
    with manager_book._read() as s:
        past = s.scalar(select(func.count()).select_from(Admission).where(Admission.discharged_on.is_not(None)))
        rows = s.scalars(select(Discharge)).all()
        plans = s.scalars(select(DischargePlan)).all()
        follow = s.scalars(select(FollowUp)).all()
        attempts = s.scalar(select(func.count()).select_from(FollowUpAttempt))
    ending = [d for d in rows if d.ends_stay]
    assert len(ending) == past  # every past stay has its discharge, no current one ended
    assert {d.type for d in rows} >= {"planned_completed", "planned_transfer", "self_discharge", "absconded",
                                      "disciplinary", "freeze_mha_acute", "freeze_police"}
    assert {d.state for d in rows} >= {"confirmed", "awaiting_senior", "frozen", "resumed"}
    assert plans and all(p.state == "completed" and p.discharge_id for p in plans)
    assert follow and {f.months for f in follow} == {3, 6}
    assert {f.status for f in follow} >= {"due", "done"} and attempts
    assert {f.outcome for f in follow if f.status == "done"} - {None}
    check = manager_book.check()
    assert check["ok"] and check["discharges_awaiting_senior"] > 0 and check["summaries_overdue"] > 0
    assert check["current_residents"] >= 15
    # A freeze followed by a discharge reads as ended; the summaries made print.
    listed = manager_book.discharges.between(local_today(manager_book.clock) - timedelta(days=365 * 4),
                                             local_today(manager_book.clock), ends_stay_only=False)
    assert any(r.state_label == "Frozen, then discharged" for r in listed)
    made = [r for r in listed if r.letter_document_id]
    assert made
    pdf = ds.summary_of(manager_book, made[0]).pdf
    assert pdf.startswith(b"%PDF")
    # The latest planned discharges print their signed discharge letter.
    letters = [r for r in made if r.path == "planned"]
    assert letters
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(ds.summary_of(manager_book, letters[0]).pdf)).pages)
    assert "Discharge summary" in text and "Registered Manager" in text  # signed by the senior
    assert "DRAFT" not in text

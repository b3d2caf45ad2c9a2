"""The papers an unplanned discharge sends (4.1.7.12, 4.1.7.6), parsed back with pypdf: the brief
out-of-hours summary has the unit's letterhead, the follow-up-by-phone reminder, the current
medication and the latest risk assessment with its contingency plan, and no internal codes; the
risk analysis is the risk assessment; the outbox carries exactly the stored documents."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from keyworker.clock import LONDON, FixedClock
from keyworker.db.caseload import Admission, Resident
from keyworker.db.discharges import Discharge
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem
from keyworker.documents import unplanned_discharge_pdf
from keyworker.medication import summary_in
from keyworker.unit_profile import read_profile
from tests.conftest import UNIT_PROFILE
from tests.unit.test_unplanned_discharge import admitted, form, with_risk_and_medication


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def recorded(book_factory, clock: FixedClock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 6, 9, 0))
    manager = book_factory("manager")
    resident_id, admission_id = admitted(manager, nhs_number="9434765919")
    with_risk_and_medication(manager, resident_id, admission_id)
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(
        resident_id, occurred_at=datetime(2026, 1, 6, 2, 30, tzinfo=LONDON), night_reason="Left by the fire door.",
        overdose_risk=True, naloxone_supplied=True, homelessness_risk=True, council_name="Preston City Council"))
    return nights, d


def stored(book, kind: str) -> bytes:  # type: ignore[no-untyped-def]
    with book._read() as s:
        return bytes(s.scalars(select(Document.content).where(Document.kind == kind)).one())


def test_summary_has_the_letterhead_medication_risk_and_the_reminder(recorded) -> None:  # type: ignore[no-untyped-def]
    book, d = recorded
    text = text_of(stored(book, "unplanned_discharge_summary"))
    flat = " ".join(text.split())
    for expected in (UNIT_PROFILE["unit_name"], UNIT_PROFILE["phone"], "Test House",
                     "Unplanned discharge: out-of-hours summary", "Please follow up by phone",
                     "Jane Doe", d.reference, "943 476 5919",  # NHS numbers read 3-3-4
                     "Unplanned self-discharge", "06/01/2026 02:30", "Left by the fire door.",
                     "Brother's flat in Blackburn", "Current medication", "Buprenorphine", "8 mg",
                     "Risk assessment", "Contingency plan for an unplanned discharge", "Naloxone kit",
                     "Medium", "Awaiting senior confirmation", "Preston City Council", "0300 123 6720",
                     "07/01/2026 02:30", "Nico Nights"):
        assert expected in flat, expected
    # No internal codes: every value in words.
    assert "_" not in flat
    assert not re.search(r"\b(self discharge|incomplete dropped|freeze [a-z]+ [a-z]+)\b", flat)


def test_risk_analysis_is_the_latest_risk_assessment(recorded) -> None:  # type: ignore[no-untyped-def]
    book, _ = recorded
    flat = " ".join(text_of(stored(book, "risk_analysis")).split())
    assert "Risk assessment and risk management plan" in flat and "Contingency plan" in flat
    assert UNIT_PROFILE["unit_name"] in flat


def test_the_outbox_carries_exactly_the_stored_documents(recorded) -> None:  # type: ignore[no-untyped-def]
    book, d = recorded
    with book._read() as s:
        row = s.get(Discharge, d.id)
        assert row is not None
        docs = {x.id: x.content for x in s.scalars(select(Document).where(
            Document.id.in_([row.summary_document_id, row.risk_document_id])))}
        items = s.scalars(select(OutboxItem).where(OutboxItem.resident_id == d.resident_id)).all()
    assert len(docs) == 2 and len(items) == 4
    for item in items:
        assert item.payload == docs[item.document_id] and item.status == "pending"
    # Every item has its own idempotency key (the same document to two people).
    assert len({i.idempotency_key for i in items}) == 4


def test_a_draft_says_so_and_a_freeze_has_its_own_title(recorded) -> None:  # type: ignore[no-untyped-def]
    book, d = recorded
    view = book.discharges.get(d.id)
    import dataclasses

    with book._read() as s:
        res = s.get(Resident, d.resident_id)
        adm = s.get(Admission, d.admission_id)
        meds = summary_in(s, d.resident_id).current
        risk = book.risk._for_plan(s, d.admission_id)
        profile = read_profile(s)
    assert res is not None and adm is not None
    pdf = unplanned_discharge_pdf.build(view, res, adm, meds, risk, profile=profile, generated_at=book.clock.now(),
                                        recorded_by="Nico Nights", out_of_hours_phone="0300 123 6720", draft=True)
    assert "DRAFT" in text_of(pdf)
    frozen = dataclasses.replace(view, type="freeze_mha_picu", state="frozen", reason_code=None)
    flat = " ".join(text_of(unplanned_discharge_pdf.build(
        frozen, res, adm, (), None, profile=profile, generated_at=book.clock.now(), recorded_by="Nico Nights",
        out_of_hours_phone="0300 123 6720")).split())
    assert "Treatment frozen: out-of-hours summary" in flat
    assert "No current medication is recorded." in flat and "no risk assessment on record" in flat
    assert "_" not in flat


"""The complete discharge summary of an unplanned discharge (4.1.7.13), parsed back with pypdf: the
sections a referrer and the Authority need, in words with no internal codes; filed as the
discharge's printable summary and queued for the referrer and the Authority's representative in
the same transaction; the countdown stops. A freeze followed by a discharge reads as ended."""
from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.db.discharges import Discharge
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem
from keyworker.errors import PermissionDenied, ValidationError
from tests.conftest import UNIT_PROFILE
from tests.unit.test_unplanned_discharge import admitted, count, form, with_risk_and_medication


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def recorded(book_factory: Any, clock: FixedClock) -> tuple[Casebook, Any]:
    clock.set(datetime(2026, 1, 6, 9, 0))
    manager = book_factory("manager")
    manager.unit_profile.update({"authority_name": "Jo Commissioner",
                                 "authority_email": "jo.commissioner@lancashire.gov.uk"})
    resident_id, admission_id = admitted(manager, nhs_number="9434765919")
    with_risk_and_medication(manager, resident_id, admission_id)
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(
        resident_id, occurred_at=datetime(2026, 1, 6, 2, 30, tzinfo=LONDON), night_reason="Left by the fire door.",
        overdose_risk=True, naloxone_supplied=True, homelessness_risk=True, council_name="Preston City Council"))
    nights.discharges.record_notification(d.id, "gp", "phone", datetime(2026, 1, 6, 8, 40, tzinfo=LONDON),
                                          "Practice told; will see him this week.", contact="Reception")
    return manager, d


def test_the_summary_has_every_section_in_words(recorded: tuple[Casebook, Any], clock: FixedClock) -> None:
    manager, d = recorded
    clock.advance(minutes=60)
    view = manager.discharges.complete_summary(d.id)
    assert view.letter_document_id is not None and view.summary_sent_at is not None
    flat = text_of(manager.documents.content(view.letter_document_id))
    for expected in (UNIT_PROFILE["unit_name"], "Test House", "Complete discharge summary", d.reference,
                     "Date", "6 January 2026",
                     # resident and the stay
                     "Resident", "Jane Doe", "Date of birth", "The stay", "Admitted", "Left the unit",
                     "Length of stay",
                     # what happened
                     "What happened", "Unplanned self-discharge", "06/01/2026 02:30", "Left by the fire door.",
                     "Brother's flat in Blackburn", "Senior agreement", "Awaiting senior confirmation",
                     # who was told
                     "Who was told", "GP", "Told", "Phone", "Practice told", "Next of kin",
                     "Not told: no consent", "Still to do",
                     # medication, risk, harm reduction, housing
                     "Medication at discharge", "Buprenorphine", "Risk at discharge", "Medium",
                     "Contingency plan for an unplanned discharge", "Naloxone supplied", "Yes",
                     "Harm-reduction advice given", "Referred back to the Community Treatment Provider",
                     "District council (duty to refer)", "Preston City Council",
                     # what follows and the signature
                     "What follows", "The placement has ended", "Still to be told", "Signed,", "Morgan Manager", "Registered Manager"):
        assert expected in flat, expected
    assert "_" not in flat
    assert not re.search(r"\b4\.1\.\d", flat), "no clause numbers"
    assert "DRAFT" not in flat


def test_filed_queued_and_the_countdown_stops_in_one_transaction(recorded: tuple[Casebook, Any]) -> None:
    manager, d = recorded
    view = manager.discharges.complete_summary(d.id)
    assert view.warnings == ()
    with manager._read() as s:
        row = s.get(Discharge, d.id)
        assert row is not None and row.letter_document_id == view.letter_document_id
        assert row.summary_sent_at is not None
        doc = s.get(Document, row.letter_document_id)
        assert doc is not None and doc.kind == "discharge_summary" and doc.subject_id == d.id
        items = s.scalars(select(OutboxItem).where(OutboxItem.document_id == doc.id)).all()
        assert sorted(i.recipient_role or "" for i in items) == ["authority", "referrer"]
        assert "Jo Commissioner" in {i.recipient_name for i in items}
        assert {i.kind for i in items} == {"discharge_summary"}
        assert all(bytes(i.payload) == bytes(doc.content) for i in items)
    # The Discharge tab and Today no longer count it as due.
    assert d.id not in {r.id for r in manager.discharges.due_summaries()}
    with pytest.raises(ValidationError, match="made already"):
        manager.discharges.complete_summary(d.id)
    with pytest.raises(ValidationError, match="sent already"):
        manager.discharges.record_summary_sent(d.id, datetime(2026, 1, 6, 9, 0, tzinfo=LONDON))


def test_a_failure_after_enqueue_leaves_nothing(recorded: tuple[Casebook, Any], monkeypatch: Any) -> None:
    manager, d = recorded
    real = manager._record

    def failing(session, action, *a, **k):  # type: ignore[no-untyped-def]
        if action == "discharge.complete_summary":
            raise RuntimeError("disk went away")
        return real(session, action, *a, **k)

    before = count(manager, OutboxItem)
    monkeypatch.setattr(manager, "_record", failing)
    with pytest.raises(RuntimeError):
        manager.discharges.complete_summary(d.id)
    monkeypatch.undo()
    assert count(manager, OutboxItem) == before
    assert count(manager, Document, Document.kind == "discharge_summary") == 0
    with manager._read() as s:
        row = s.get(Discharge, d.id)
        assert row is not None and row.letter_document_id is None and row.summary_sent_at is None


def test_without_the_authority_the_view_says_so(book_factory: Any, clock: FixedClock) -> None:
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id, admission_id = admitted(manager)
    with_risk_and_medication(manager, resident_id, admission_id)
    d = manager.discharges.record_unplanned(form(resident_id))
    view = book_factory("worker").discharges.complete_summary(d.id)
    assert any("Authority" in w for w in view.warnings)
    assert count(manager, OutboxItem, OutboxItem.document_id == view.letter_document_id) == 1


def test_who_may_write_it(recorded: tuple[Casebook, Any], book_factory: Any) -> None:
    _, d = recorded
    with pytest.raises(PermissionDenied):
        book_factory("admin").discharges.complete_summary(d.id)


def test_recorded_as_sent_by_hand_then_made_is_filed_not_sent_again(recorded: tuple[Casebook, Any]) -> None:
    manager, d = recorded
    manager.discharges.record_summary_sent(d.id, datetime(2026, 1, 6, 8, 50, tzinfo=LONDON))
    view = manager.discharges.complete_summary(d.id)
    assert view.letter_document_id and any("not sent again" in w for w in view.warnings)
    assert count(manager, OutboxItem, OutboxItem.document_id == view.letter_document_id) == 0


def test_a_freeze_then_a_discharge_reads_as_ended(book_factory: Any, clock: FixedClock) -> None:
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id, admission_id = admitted(manager)
    with_risk_and_medication(manager, resident_id, admission_id)
    freeze = manager.discharges.record_unplanned(form(resident_id, type="freeze_police",
                                                      occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=LONDON)))
    assert manager.discharges.get(freeze.id).state_label == "Treatment frozen"
    manager.discharges.record_unplanned(form(resident_id))
    assert manager.discharges.get(freeze.id).state_label == "Frozen, then discharged"
    rows = {r.id: r for r in manager.discharges.between(datetime(2026, 1, 5).date(), datetime(2026, 1, 5).date(),
                                                        ends_stay_only=False)}
    assert rows[freeze.id].state_label == "Frozen, then discharged"
    with pytest.raises(ValidationError, match="ended since"):
        manager.discharges.resume(freeze.id, "Reassessed.")


def test_a_freeze_summary_says_the_place_is_held(book_factory: Any, clock: FixedClock) -> None:
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id, admission_id = admitted(manager)
    with_risk_and_medication(manager, resident_id, admission_id)
    freeze = manager.discharges.record_unplanned(form(resident_id, type="freeze_mha_acute"))
    view = manager.discharges.complete_summary(freeze.id)
    flat = text_of(manager.documents.content(view.letter_document_id or ""))
    assert "Treatment frozen: complete summary" in flat and "place is held" in flat
    assert "Treatment frozen" in flat and "_" not in flat

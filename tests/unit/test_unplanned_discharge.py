"""The unplanned discharge, the out-of-hours path (issue 13; specification 4.1.7): the two-person
rule, the night rule, the 24-hour deadline across the clock changes, freeze and resume, the
notification checklist and next-of-kin consent, the overdose and homelessness prompts, and the
outbox items committed with the discharge or not at all."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock, format_datetime
from keyworker.db.caseload import Admission
from keyworker.db.discharges import Discharge
from keyworker.db.documents import Document
from keyworker.db.outbox import OutboxItem
from keyworker.discharges import UnplannedDischargeInput, summary_due
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.medication import MedicationInput
from keyworker.risk import example_input
from tests.conftest import STAFF_PW
from tests.fixtures.caseload import admit, last_audit, worker_id


def admitted(manager: Casebook, **resident: object) -> tuple[str, str]:
    rec = admit(manager, gp_practice="Fishergate Surgery", **resident)
    return rec.id, rec.admissions[0].id


def with_risk_and_medication(book: Casebook, resident_id: str, admission_id: str) -> None:
    book.risk.record(admission_id, example_input(datetime(2026, 1, 5).date(), "medium"))
    book.residents.start_medication(resident_id, MedicationInput("Buprenorphine", "05/01/2026", "8 mg",
                                                                 "once daily", route="sublingual"))


def form(resident_id: str, **over: object) -> UnplannedDischargeInput:
    values: dict[str, object] = dict(resident_id=resident_id, type="self_discharge",
                                     occurred_at=datetime(2026, 1, 5, 14, 0, tzinfo=LONDON),
                                     circumstances="Packed a bag after a phone call and left; would not wait.",
                                     destination="Brother's flat in Blackburn")
    values.update(over)
    return UnplannedDischargeInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def unit(book_factory, clock: FixedClock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id, admission_id = admitted(manager)
    with_risk_and_medication(manager, resident_id, admission_id)
    return manager, resident_id, admission_id


def count(book: Casebook, model: type, *where: object) -> int:
    with book._read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


# -- recording -----------------------------------------------------------------------------------
def test_recording_ends_the_stay_and_queues_the_papers(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, admission_id = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    assert d.state == "awaiting_senior" and d.state_label == "Awaiting senior confirmation"
    assert d.type_label == "Unplanned self-discharge" and d.reason_label == "Incomplete: dropped out"
    with nights._read() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None and adm.discharged_on == datetime(2026, 1, 5).date()
        assert adm.discharge_type == "unplanned"
        items = s.execute(select(OutboxItem.kind, OutboxItem.recipient_role, OutboxItem.recipient_name)
                          .where(OutboxItem.resident_id == resident_id)).all()
    # The summary to the referrer and the GP; the risk analysis to the referrer and the CTP.
    assert sorted(items) == sorted([
        ("unplanned_discharge_summary", "referrer", "Pat Fielding"),
        ("unplanned_discharge_summary", "gp", "Fishergate Surgery"),
        ("risk_analysis", "referrer", "Pat Fielding"),
        ("risk_analysis", "ctp", "Inspire Lancashire")])
    assert d.outbox_items == 4 and d.warnings == ()
    assert last_audit(nights)[0][0] == "discharge.record_unplanned"
    # The stay is over: no second discharge of it.
    with pytest.raises(ValidationError, match="not in the unit"):
        nights.discharges.record_unplanned(form(resident_id))


def test_without_a_risk_assessment_the_view_says_what_was_not_sent(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    manager = book_factory("manager")
    resident_id, _ = admitted(manager)
    d = manager.discharges.record_unplanned(form(resident_id))
    assert d.outbox_items == 2  # the summary to the referrer and the GP
    assert any("no risk assessment" in w for w in d.warnings)


def test_planned_transfers_are_recorded_apart(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, type="planned_transfer_psychiatric"))
    assert "planned discharge" in e.value.fields["type"]


def test_administrator_cannot_record_and_a_key_worker_cannot_confirm(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    _, resident_id, _ = unit
    with pytest.raises(PermissionDenied):
        book_factory("admin").discharges.record_unplanned(form(resident_id))
    worker = book_factory("worker")
    d = worker.discharges.record_unplanned(form(resident_id))
    with pytest.raises(PermissionDenied):
        worker.discharges.confirm(d.id)


# -- two staff including a senior (4.1.7.6) -------------------------------------------------------
def test_second_person_signs_with_their_own_password(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    _, resident_id, _ = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    with pytest.raises(ValidationError) as e:
        nights.discharges.confirm_by_password(d.id, "manager", "not-the-password")
    assert "password" in e.value.fields
    assert nights.discharges.get(d.id).state == "awaiting_senior"
    done = nights.discharges.confirm_by_password(d.id, "manager", STAFF_PW)
    assert done.state == "confirmed" and done.second_person_name == "Morgan Manager"
    assert done.second_how == "password" and done.confirmed_at is not None
    actions = [a for a, _ in last_audit(nights, 12)]
    assert "discharge.confirm" in actions and "discharge.confirm_refused" in actions
    assert "sign_in.failed" in actions  # the wrong password counts as a failed sign-in


def test_the_same_person_twice_is_refused(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    d = manager.discharges.record_unplanned(form(resident_id))
    with pytest.raises(ValidationError, match="someone other than"):
        manager.discharges.confirm_by_password(d.id, "manager", STAFF_PW)
    with pytest.raises(ValidationError, match="someone other than"):
        manager.discharges.confirm(d.id)
    with pytest.raises(ValidationError, match="someone other than"):
        manager.discharges.record_phone_agreement(d.id, manager.actor.id, "05/01/2026 14:30")
    assert manager.discharges.get(d.id).state == "awaiting_senior"
    assert "discharge.confirm_refused" in [a for a, _ in last_audit(manager, 6)]


def test_a_senior_is_required(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    _, resident_id, _ = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    with pytest.raises(ValidationError, match="not a senior manager"):
        nights.discharges.confirm_by_password(d.id, "worker", STAFF_PW)
    with pytest.raises(ValidationError, match="not a senior manager"):
        nights.discharges.record_phone_agreement(d.id, worker_id(nights, "worker"), "05/01/2026 14:30")


def test_phone_agreement_then_confirmation_by_that_senior(unit, book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    _, resident_id, _ = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    senior_id = worker_id(nights, "manager")
    d = nights.discharges.record_phone_agreement(d.id, senior_id, "05/01/2026 14:20")
    assert d.state == "awaiting_senior" and d.second_how == "phone"
    assert d.phone_agreed_at == datetime(2026, 1, 5, 14, 20, tzinfo=UTC)
    assert [r.id for r in nights.discharges.awaiting_senior()] == [d.id]
    clock.advance(hours=18)
    manager = book_factory("manager")
    done = manager.discharges.confirm(d.id)
    assert done.state == "confirmed" and done.second_person_id == senior_id and done.second_how == "phone"
    assert nights.discharges.awaiting_senior() == []


def test_after_a_phone_agreement_only_that_senior_confirms(book_factory, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 1, 5, 15, 0))
    admin = book_factory("admin")
    admin.accounts.create("boss2", "Robin Second", "senior", STAFF_PW)
    manager = book_factory("manager")
    resident_id, _ = admitted(manager)
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    nights.discharges.record_phone_agreement(d.id, worker_id(nights, "boss2"), "05/01/2026 14:20")
    with pytest.raises(ValidationError, match="Robin Second"):
        manager.discharges.confirm(d.id)
    assert book_factory("boss2").discharges.confirm(d.id).state == "confirmed"


# -- the night rule (4.1.7.10) --------------------------------------------------------------------
@pytest.mark.parametrize(("hour", "minute", "night"), [(20, 59, False), (21, 0, True), (7, 59, True), (8, 0, False)])
def test_night_rule(unit, hour: int, minute: int, night: bool) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    at = datetime(2026, 1, 5 if hour >= 12 else 6, hour, minute, tzinfo=LONDON)
    assert isinstance(manager.clock, FixedClock)
    manager.clock.set(datetime(2026, 1, 6, 9, 0))
    if night:
        with pytest.raises(ValidationError) as e:
            manager.discharges.record_unplanned(form(resident_id, occurred_at=at))
        assert "at night" in e.value.fields["night_reason"]
        d = manager.discharges.record_unplanned(form(resident_id, occurred_at=at,
                                                     night_reason="Left through the fire door; could not be stopped."))
        assert d.night_reason
    else:
        d = manager.discharges.record_unplanned(form(resident_id, occurred_at=at))
        assert d.night_reason is None


def test_night_rule_uses_uk_time_in_summer_and_the_setting(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    # 20:30 UTC in July is 21:30 BST: night.
    manager.clock.set(datetime(2026, 7, 2, 9, 0))
    with pytest.raises(ValidationError):
        manager.discharges.record_unplanned(form(resident_id, occurred_at=datetime(2026, 7, 1, 20, 30, tzinfo=UTC)))
    book_factory("admin").settings.set("discharge_night_starts", "22:00")
    d = manager.discharges.record_unplanned(form(resident_id, occurred_at=datetime(2026, 7, 1, 20, 30, tzinfo=UTC)))
    assert d.state == "awaiting_senior"


def test_a_freeze_at_night_needs_no_night_reason(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    manager.clock.set(datetime(2026, 1, 6, 9, 0))
    d = manager.discharges.record_unplanned(form(resident_id, type="freeze_police",
                                                 occurred_at=datetime(2026, 1, 6, 2, 0, tzinfo=LONDON)))
    assert d.state == "frozen"


# -- the 24-hour deadline (4.1.7.13) --------------------------------------------------------------
def test_summary_due_24_real_hours_later_across_the_spring_clock_change() -> None:
    occurred = datetime(2026, 3, 28, 22, 0, tzinfo=LONDON)  # GMT
    due = summary_due(occurred)
    assert due - occurred.astimezone(UTC) == (datetime(2026, 1, 2) - datetime(2026, 1, 1))
    assert format_datetime(due) == "29/03/2026 23:00"  # BST now


def test_summary_due_across_the_autumn_clock_change() -> None:
    occurred = datetime(2026, 10, 24, 22, 0, tzinfo=LONDON)  # BST
    assert format_datetime(summary_due(occurred)) == "25/10/2026 21:00"  # GMT now


def test_summary_overdue_is_counted_then_cleared(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    manager.clock.set(datetime(2026, 3, 29, 9, 0))
    d = book_factory("nights").discharges.record_unplanned(form(
        resident_id, occurred_at=datetime(2026, 3, 28, 22, 0, tzinfo=LONDON), night_reason="Would not wait."))
    assert d.due_text == "Complete summary due by 29/03/2026 23:00"
    assert manager.check(integrity=False)["summaries_overdue"] == 0
    manager.clock.set(datetime(2026, 3, 29, 23, 1))
    assert manager.discharges.get(d.id).summary_overdue
    report = manager.check(integrity=False)
    assert report["summaries_overdue"] == 1 and report["discharges_awaiting_senior"] == 1
    assert [r.summary_overdue for r in manager.discharges.due_summaries()] == [True]
    # the record's header asks for one resident's: this one's, nobody else's
    assert [r.id for r in manager.discharges.due_summaries(resident_id)] == [d.id]
    assert [r.id for r in manager.discharges.awaiting_senior(resident_id)] == [d.id]
    assert manager.discharges.due_summaries("01a23aea-0000-7000-8000-000000000000") == []
    assert manager.discharges.awaiting_senior("01a23aea-0000-7000-8000-000000000000") == []
    sent = manager.discharges.record_summary_sent(d.id, "29/03/2026 23:01")
    assert sent.due_text.startswith("Complete summary sent") and not sent.summary_overdue
    assert manager.check(integrity=False)["summaries_overdue"] == 0


# -- freeze and resume (4.1.7.9) ------------------------------------------------------------------
def test_freeze_keeps_the_stay_open_and_resume_keeps_one_admission(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, admission_id = unit
    d = manager.discharges.record_unplanned(form(resident_id, type="freeze_mha_acute",
                                                 destination="Royal Preston Hospital, acute ward"))
    assert d.state == "frozen" and d.reason_code is None
    with manager._read() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None and adm.discharged_on is None
    assert manager.discharges.start(resident_id).frozen
    with pytest.raises(ValidationError, match="frozen already"):
        manager.discharges.record_unplanned(form(resident_id, type="freeze_police"))
    with pytest.raises(ValidationError):
        manager.discharges.resume(d.id, "  ")
    back = manager.discharges.resume(d.id, "Reassessed on the ward with the psychiatrist: fit to return.")
    assert back.state == "resumed" and back.admission_id == admission_id
    with manager._read() as s:
        assert s.scalar(select(func.count()).select_from(Admission).where(Admission.resident_id == resident_id)) == 1
    # The stay can still end later, once: freezes do not count against one discharge per stay.
    ended = manager.discharges.record_unplanned(form(resident_id, type="disciplinary"))
    assert ended.reason_label == "Incomplete: treatment withdrawn by provider"
    assert len(manager.discharges.for_resident(resident_id)) == 2


def test_only_a_frozen_stay_resumes(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    d = manager.discharges.record_unplanned(form(resident_id))
    with pytest.raises(ValidationError, match="Only a frozen"):
        manager.discharges.resume(d.id, "Reassessed")


# -- the notification checklist (4.1.7.7) ---------------------------------------------------------
def test_checklist_shows_every_party_until_done(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    items = nights.discharges.checklist(d.id)
    assert [i.label for i in items] == [
        "Referrer or the Authority", "Community Treatment Provider", "Next of kin",
        "Recovery Infrastructure Organisation", "GP", "Mental health services", "Probation",
        "Out-of-hours adult social care or emergency duty team"]
    by_party = {i.party: i for i in items}
    assert by_party["next_of_kin"].status == "not_allowed"  # no consent recorded
    assert "0300 123 6720" in by_party["out_of_hours_social_care"].note
    outstanding = [i.party for i in items if not i.done]
    assert len(outstanding) == 7
    for party in outstanding:
        method = "not_needed" if party in ("mental_health", "probation") else "phone"
        item = nights.discharges.record_notification(d.id, party, method, "05/01/2026 14:30", "Told; will follow up",
                                                     contact="Duty worker")
        assert item.done and item.by_name == "Nico Nights"
    assert all(i.done for i in nights.discharges.checklist(d.id))
    assert last_audit(nights)[0][0] == "discharge.checklist"


def test_next_of_kin_refused_without_consent_and_allowed_with_it(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    nights = book_factory("nights")
    d = nights.discharges.record_unplanned(form(resident_id))
    with pytest.raises(ValidationError, match="not consented"):
        nights.discharges.record_notification(d.id, "next_of_kin", "phone", "05/01/2026 14:30", "Spoke to mother")
    manager.residents.record_consent(resident_id, "contact_next_of_kin", True)
    item = nights.discharges.record_notification(d.id, "next_of_kin", "phone", "05/01/2026 14:35", "Spoke to mother")
    assert item.status == "done"


def test_out_of_hours_number_is_a_setting(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    book_factory("admin").settings.set("out_of_hours_social_care_phone", "0300 000 0000")
    assert manager.discharges.start(resident_id).out_of_hours_phone == "0300 000 0000"
    d = manager.discharges.record_unplanned(form(resident_id))
    note = next(i.note for i in manager.discharges.checklist(d.id) if i.party == "out_of_hours_social_care")
    assert "0300 000 0000" in note


# -- overdose and homelessness prompts (4.1.7.14, 4.1.7.15) ---------------------------------------
def test_overdose_risk_needs_naloxone_or_advice(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, overdose_risk=True))
    assert "naloxone" in e.value.fields["naloxone_supplied"].lower()
    # No consent to the CTP referral at admission: it is not asked for, and cannot be ticked.
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, overdose_risk=True, naloxone_supplied=True,
                                                 ctp_referral_made=True))
    assert "did not consent" in e.value.fields["ctp_referral_made"]
    d = manager.discharges.record_unplanned(form(resident_id, overdose_risk=True, harm_reduction_advice=True))
    assert d.overdose_risk and d.ctp_consent is None and not d.ctp_referral_made


def test_overdose_risk_with_consent_requires_the_ctp_referral(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    manager.residents.record_consent(resident_id, "ctp_referral_if_overdose_risk", True)
    assert manager.discharges.start(resident_id).ctp_consent is True
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, overdose_risk=True, naloxone_supplied=True))
    assert "consented at admission" in e.value.fields["ctp_referral_made"]
    d = manager.discharges.record_unplanned(form(resident_id, overdose_risk=True, naloxone_supplied=True,
                                                 ctp_referral_made=True))
    assert d.ctp_referral_made and d.ctp_consent is True


def test_homelessness_risk_needs_the_council_and_adds_it_to_the_checklist(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    assert manager.discharges.start(resident_id).district == "Preston"
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, homelessness_risk=True))
    assert "district council" in e.value.fields["council_name"]
    d = manager.discharges.record_unplanned(form(resident_id, homelessness_risk=True, council_name="Preston City Council"))
    council = next(i for i in manager.discharges.checklist(d.id) if i.party == "district_council")
    assert council.status == "outstanding" and "Preston City Council" in council.note


# -- one transaction ------------------------------------------------------------------------------
def test_a_failure_after_enqueue_leaves_neither_discharge_nor_outbox_items(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, admission_id = unit
    real = manager._record

    def failing(session, action, *a, **k):  # type: ignore[no-untyped-def]
        if action == "discharge.record_unplanned":
            raise RuntimeError("disk went away")
        return real(session, action, *a, **k)

    monkeypatch.setattr(manager, "_record", failing)
    before_items = count(manager, OutboxItem)
    with pytest.raises(RuntimeError):
        manager.discharges.record_unplanned(form(resident_id))
    monkeypatch.undo()
    assert count(manager, Discharge) == 0
    assert count(manager, OutboxItem) == before_items
    assert count(manager, Document, Document.kind.in_(("unplanned_discharge_summary", "risk_analysis"))) == 0
    with manager._read() as s:
        adm = s.get(Admission, admission_id)
        assert adm is not None and adm.discharged_on is None


def test_input_is_checked_at_the_boundary_in_words(unit) -> None:  # type: ignore[no-untyped-def]
    manager, resident_id, _ = unit
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(dataclasses.replace(form(resident_id), type="wandered", circumstances="",
                                                                occurred_at="31/02/2026 10:00"))
    assert set(e.value.fields) >= {"type", "circumstances", "occurred_at"}
    with pytest.raises(ValidationError) as e:
        manager.discharges.record_unplanned(form(resident_id, occurred_at=datetime(2026, 1, 7, 9, 0, tzinfo=LONDON)))
    assert "future" in e.value.fields["occurred_at"]
    with pytest.raises(ValidationError):
        manager.discharges.record_unplanned(form(resident_id, occurred_at=datetime(2026, 1, 1, 9, 0, tzinfo=LONDON)))


# -- a placement at risk of breaking down (Annex 3 step 12) -------------------------------------
def test_placement_at_risk_tells_the_referrer_and_the_ctp_by_letter(unit, book_factory) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    manager, resident_id, _ = unit
    worker = book_factory("worker")
    assert worker.discharges.placement_risk(resident_id) is None
    flag = worker.discharges.flag_placement_at_risk(resident_id, "Using on home leave twice; talking of leaving.")
    assert flag.current and flag.letters == 2 and flag.raised_by_name == "Sam Worker"
    with worker._read() as s:
        items = s.execute(select(OutboxItem.kind, OutboxItem.recipient_role, OutboxItem.payload)
                          .where(OutboxItem.kind == "placement_at_risk")).all()
    assert sorted(r for _k, r, _p in items) == ["ctp", "referrer"]
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(items[0][2])).pages).split())
    assert "Placement at risk of breaking down" in text and "Using on home leave twice" in text
    assert "Test Unit" in text and "_" not in text
    with pytest.raises(ValidationError, match="already"):
        worker.discharges.flag_placement_at_risk(resident_id, "Again")
    with pytest.raises(PermissionDenied):
        book_factory("nights").discharges.flag_placement_at_risk(resident_id, "Night worry")
    cleared = worker.discharges.clear_placement_risk(resident_id, "Settled after the review with the referrer.")
    assert not cleared.current and worker.discharges.placement_risk(resident_id) is None
    assert last_audit(worker)[0][0] == "placement_risk.clear"


def test_a_failure_after_the_placement_letters_are_queued_leaves_nothing(unit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyworker.db.discharges import PlacementRisk

    manager, resident_id, _ = unit
    real = manager._record

    def failing(session, action, *a, **k):  # type: ignore[no-untyped-def]
        if action == "placement_risk.flag":
            raise RuntimeError("disk went away")
        return real(session, action, *a, **k)

    monkeypatch.setattr(manager, "_record", failing)
    with pytest.raises(RuntimeError):
        manager.discharges.flag_placement_at_risk(resident_id, "Talking of leaving")
    monkeypatch.undo()
    assert count(manager, PlacementRisk) == 0 and count(manager, OutboxItem, OutboxItem.kind == "placement_at_risk") == 0


def test_between_lists_discharges_by_uk_date_and_leaves_freezes_out(unit) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    manager, resident_id, _ = unit
    # 00:30 on 05/01 UK time belongs to 05/01, not to the night before.
    manager.discharges.record_unplanned(form(resident_id, occurred_at=datetime(2026, 1, 5, 0, 30, tzinfo=LONDON),
                                             night_reason="Left while staff were with another resident"))
    other_id, _ = admitted(manager, given_name="Sam", family_name="Okafor", nhs_number=None)
    manager.discharges.record_unplanned(form(other_id, type="freeze_police",
                                             occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=LONDON)))
    on_5th = manager.discharges.between(date(2026, 1, 5), date(2026, 1, 5))
    assert [r.resident_id for r in on_5th] == [resident_id]
    assert manager.discharges.between(date(2025, 12, 1), date(2026, 1, 4)) == []
    with_freezes = manager.discharges.between(date(2026, 1, 1), date(2026, 1, 5), ends_stay_only=False)
    assert {r.resident_id for r in with_freezes} == {resident_id, other_id}
    with pytest.raises(ValidationError):
        manager.discharges.between(date(2026, 1, 6), date(2026, 1, 5))

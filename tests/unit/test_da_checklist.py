"""The domestic abuse risk checklist: 24 questions by number, the thresholds (9, 10, 13, 14 "yes"),
professional judgement that raises but never lowers a visible high risk, the MARAC prompt and the
3-in-12-months escalation (an incident exactly 12 months ago counts, a day earlier does not)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from keyworker import da_checklist as da
from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.incidents import IncidentInput
from keyworker.safeguarding import ChecklistInput, SafeguardingReferralInput
from tests.fixtures.caseload import admit, last_audit


def answers(yes: int, not_known: int = 0) -> dict[int, str]:
    out = {}
    for n in da.QUESTIONS:
        out[n] = "yes" if n <= yes else ("not_known" if n <= yes + not_known else "no")
    return out


@pytest.mark.parametrize(("yes", "level"), [(9, "standard"), (10, "medium"), (13, "medium"), (14, "high")])
def test_the_count_of_yes_answers_sets_the_level(manager_book: Casebook, worker_book: Casebook,
                                                 yes: int, level: str) -> None:
    rec = admit(manager_book)
    view = worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(yes, 5)))
    assert (view.yes_count, view.visible_level, view.level) == (yes, level, level)
    assert view.marac_prompted is (yes >= 14) and view.visible_high is (yes >= 14)
    status = worker_book.safeguarding.status(rec.id)
    assert status.marac_due is (yes >= 14)
    assert ("Make a MARAC referral" in status.prompt_text) is (yes >= 14)
    assert last_audit(worker_book)[0][0] == "safeguarding.view"


def test_not_known_is_not_yes_and_every_question_must_be_answered(manager_book: Casebook,
                                                                  worker_book: Casebook) -> None:
    rec = admit(manager_book)
    view = worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(13, 11)))
    assert view.level == "medium" and list(view.answers.values()).count("not_known") == 11
    partial = {n: "yes" for n in range(1, 23)}
    with pytest.raises(ValidationError) as e:
        worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", partial))
    assert e.value.fields["answers"] == "Answer questions 23, 24: yes, no or not known."
    with pytest.raises(ValidationError) as e:
        worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", {**answers(3), 25: "yes"}))
    assert "questions 1 to 24" in e.value.fields["answers"]


def test_answers_are_stored_by_question_number_not_wording(manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    worker_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026",
                                                             {n: "Yes" if n == 3 else "No" for n in da.QUESTIONS}))
    from keyworker.db.incidents import DaChecklist

    with worker_book._read() as s:
        stored = json.loads(s.query(DaChecklist.answers).scalar() or "{}")
    assert stored["3"] == "yes" and stored["4"] == "no" and len(stored) == 24
    assert all(da.QUESTIONS[n] not in json.dumps(stored) for n in da.QUESTIONS)


def test_judgement_raises_with_a_reason_but_never_lowers_a_visible_high_risk(
        manager_book: Casebook, worker_book: Casebook) -> None:
    rec = admit(manager_book)
    sg = worker_book.safeguarding
    with pytest.raises(ValidationError) as e:
        sg.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(14), judgement_level="medium",
                                           judgement_reason="She has moved away from him"))
    assert e.value.fields["judgement_level"].startswith("A visible high risk (14 or more")
    with pytest.raises(ValidationError) as e:
        sg.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(11), judgement_level="standard",
                                           judgement_reason="x"))
    assert "never lower" in e.value.fields["judgement_level"]
    with pytest.raises(ValidationError) as e:
        sg.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(6), judgement_level="high"))
    assert e.value.fields["judgement_reason"] == "Give the reason for raising the level to high."
    raised = sg.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(6), judgement_level="high",
                                                judgement_reason="New threats to kill since the last contact"))
    assert (raised.visible_level, raised.level, raised.marac_prompted) == ("standard", "high", True)
    status = sg.status(rec.id)
    assert status.marac_grounds == ("judgement",) and status.marac_due
    # the checklist's entry, then the risk review its high level prompts (same transaction)
    assert ("da_checklist.record", {"completed_on": "2026-01-05", "raised": True}) in last_audit(worker_book, 3)


def test_a_marac_referral_answers_the_prompt_and_the_history_keeps_every_checklist(
        manager_book: Casebook, worker_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)
    sg = worker_book.safeguarding
    first = sg.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(8)))
    clock.advance(days=7)
    high = manager_book.safeguarding.record_checklist(ChecklistInput(rec.id, "12/01/2026", answers(15)))
    with pytest.raises(ValidationError) as e:
        sg.record_referral(SafeguardingReferralInput(rec.id, "marac", "12/01/2026"))
    assert "Say why the MARAC referral is made" in e.value.fields["grounds"]
    ref = sg.record_referral(SafeguardingReferralInput(rec.id, "MARAC", "12/01/2026", reference="MARAC/26/014",
                                                       checklist_id=high.id, grounds="visible_high"))
    assert (ref.agency, ref.made_by, ref.kind_label) == ("MARAC", "Sam Worker", "MARAC")
    status = sg.status(rec.id)
    assert status.marac_grounds == ("visible_high",) and not status.marac_due and status.prompt_text == ""
    assert [(c.id, c.recorded_by_name) for c in sg.checklists(rec.id)] == [
        (high.id, "Morgan Manager"), (first.id, "Sam Worker")]


def test_escalation_counts_domestic_abuse_incidents_within_exactly_twelve_months(
        manager_book: Casebook, worker_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)

    def incident(on: date) -> None:
        clock.set(datetime(on.year, on.month, on.day, 21, 0, tzinfo=LONDON))
        worker_book.incidents.record(IncidentInput(rec.id, f"{on:%d/%m/%Y} 20:30", "violence",
                                                   "Partner came to the door shouting", domestic_abuse=True))

    incident(date(2025, 1, 4))  # a year and a day before 05/01/2026: outside
    incident(date(2025, 6, 1))
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    worker_book.incidents.record(IncidentInput(rec.id, "04/01/2026 22:00", "other", "Not domestic abuse"))
    incident(date(2026, 1, 4))
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    status = worker_book.safeguarding.status(rec.id)
    assert status.escalation.window_start == date(2025, 1, 5)
    assert status.escalation.incident_days == (date(2025, 6, 1), date(2026, 1, 4))
    assert not status.escalation.prompted and not status.marac_due
    incident(date(2025, 1, 5))  # exactly 12 months before 05/01/2026: inside
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    status = worker_book.safeguarding.status(rec.id)
    assert status.escalation.prompted and status.marac_grounds == ("escalation",) and status.marac_due
    assert "potential escalation" in status.prompt_text
    clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=LONDON))  # the next day, the oldest falls out
    assert not worker_book.safeguarding.status(rec.id).escalation.prompted


def test_the_twelve_month_window_in_the_rules() -> None:
    assert da.escalation_window(date(2024, 2, 29)) == (date(2023, 2, 28), date(2024, 2, 29))
    days = [date(2025, 3, 1), date(2025, 9, 1), date(2026, 3, 1)]
    assert da.potential_escalation(days, date(2026, 3, 1))
    assert not da.potential_escalation(days, date(2026, 3, 2))


def test_licensed_wording_is_used_only_when_the_unit_has_installed_it(tmp_path: Path) -> None:
    assert not da.LICENSED_FILE.exists()  # never shipped
    assert da.question_text(15) == "Strangling, choking, smothering or drowning"
    good = tmp_path / "dash.json"
    good.write_text(json.dumps({"questions": {str(n): f"Licensed question {n}?" for n in da.QUESTIONS}}))
    assert da.licensed_wording(good)[15] == "Licensed question 15?"
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"questions": {"1": "Only one"}}))
    assert da.licensed_wording(short) == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert da.licensed_wording(tmp_path / "broken.json") == {}


def test_who_may_record_the_checklist_and_referrals(manager_book: Casebook, book_factory) -> None:  # type: ignore[no-untyped-def]
    rec = admit(manager_book)
    nights = book_factory("nights")
    with pytest.raises(PermissionDenied):
        nights.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(14)))
    with pytest.raises(PermissionDenied):
        nights.safeguarding.record_referral(SafeguardingReferralInput(rec.id, "adults", "05/01/2026", "Lancashire"))
    manager_book.safeguarding.record_checklist(ChecklistInput(rec.id, "05/01/2026", answers(14)))
    assert nights.safeguarding.status(rec.id).marac_due  # night staff read it
    with pytest.raises(PermissionDenied):
        book_factory("admin").safeguarding.status(rec.id)

"""Satisfaction surveys (issue 14 part Q1, contract 11.1.12): recording from the resident and
from a named carer or family member, every rule with its message, the history (audited), the
due list (yearly, and before a planned discharge), the check count, permissions."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.db.discharges import DischargePlan
from keyworker.errors import NotFound, PermissionDenied, ValidationError
from keyworker.surveys import SurveyInput, survey_due_on
from tests.fixtures.caseload import accepted_referral, admission_input, admit, last_audit, resident_input, worker_id


def errors_of(book: Casebook, data: SurveyInput) -> dict[str, str]:
    with pytest.raises(ValidationError) as e:
        book.surveys.record(data)
    return e.value.fields


def test_a_resident_and_a_carer_survey(manager_book: Casebook, worker_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)
    clock.advance(minutes=60 * 24 * 30)  # 04/02/2026
    mine = worker_book.surveys.record(SurveyInput(rec.id, listened=5, respected=4, goals=3, recommend=5, overall=4,
                                                  comments="Staff always had time for me."))
    assert (mine.taken_on, mine.respondent_label, mine.completed_by) == (date(2026, 2, 4), "Resident", "Sam Worker")
    assert mine.rating("goals") == 3 and mine.mean == 4.2
    assert last_audit(worker_book)[0] == ("survey.record", {"taken_on": "2026-02-04", "respondent": "resident"})
    theirs = worker_book.surveys.record(SurveyInput(rec.id, respondent="Carer or family member",
                                                    taken_on="03/02/2026", respondent_name="Mary Doe",
                                                    relationship="Mother", overall=5, goals=None))
    assert (theirs.respondent, theirs.respondent_label, theirs.rating("goals")) == ("carer", "Mary Doe (mother)", None)
    history = worker_book.surveys.for_resident(rec.id)
    assert [h.id for h in history] == [mine.id, theirs.id]  # newest first
    assert last_audit(worker_book)[0][0] == "survey.history"


def test_every_rule_has_a_plain_message(manager_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)
    base = SurveyInput(rec.id, overall=4)
    assert errors_of(manager_book, dataclasses.replace(base, overall=None)) == {
        "overall": "Answer at least one question (1 to 5)."}
    for bad in (0, 6):
        assert errors_of(manager_book, dataclasses.replace(base, listened=bad)) == {
            "listened": "Felt listened to: the rating must be a whole number from 1 to 5, or left unanswered."}
    for bad in (True, "4", 2.5):
        assert "whole number" in errors_of(manager_book, dataclasses.replace(base, listened=bad))["listened"]
    assert errors_of(manager_book, dataclasses.replace(base, respondent="carer")) == {
        "respondent_name": "Give the name of the carer or family member who answered.",
        "relationship": "Say how they are related to the resident (for example: mother, partner)."}
    assert "only for a carer" in errors_of(manager_book, dataclasses.replace(base, respondent_name="Mary"))[
        "respondent_name"]
    assert "Choose one of" in errors_of(manager_book, dataclasses.replace(base, respondent="neighbour"))["respondent"]
    assert "future" in errors_of(manager_book, dataclasses.replace(base, taken_on=date(2026, 1, 6)))["taken_on"]
    assert "not yet admitted" in errors_of(manager_book, dataclasses.replace(base, taken_on=date(2026, 1, 2)))[
        "taken_on"]
    assert "4000" in errors_of(manager_book, dataclasses.replace(base, comments="x" * 4001))["comments"]
    with pytest.raises(NotFound):
        manager_book.surveys.record(dataclasses.replace(base, resident_id="nobody"))


def test_due_rules_by_hand() -> None:
    today = date(2026, 6, 1)
    admitted = date(2026, 1, 5)
    assert survey_due_on(admitted, None, False, None, False, today) == (date(2027, 1, 5), "yearly")
    assert survey_due_on(admitted, date(2026, 3, 1), False, None, True, today) == (date(2027, 3, 1), "yearly")
    # a discharge plan and no survey in this stay: due by the planned date (or now without one)
    assert survey_due_on(admitted, None, True, date(2026, 6, 20), False, today) == (date(2026, 6, 20),
                                                                                     "before_discharge")
    assert survey_due_on(admitted, None, True, None, False, today) == (today, "before_discharge")
    # already asked in this stay: only the yearly one
    assert survey_due_on(admitted, date(2026, 5, 1), True, date(2026, 6, 20), True, today) == (date(2027, 5, 1),
                                                                                                "yearly")
    # a yearly survey that falls before the planned date comes first
    assert survey_due_on(date(2025, 1, 5), None, True, date(2026, 6, 20), False, today) == (date(2026, 1, 5),
                                                                                             "yearly")


def test_the_due_list(book_factory, clock: FixedClock) -> None:
    m = book_factory("manager")
    ann = admit(m, given_name="Ann")  # 05/01/2026, key worker "worker"
    bea = m.referrals.admit(accepted_referral(m, given_name="Bea").id,
                            admission_input(worker_id(m, "worker2")), resident_input(given_name="Bea"))
    assert m.surveys.due() == []  # yearly surveys fall in 2027
    with m._write() as s:
        s.add(DischargePlan(admission_id=bea.admissions[0].id, resident_id=bea.id, planned_date=date(2026, 3, 30)))
    clock.set(datetime(2026, 3, 10, 9, 0))
    rows = m.surveys.due()
    assert [(r.resident_name, r.due_on, r.reason, r.overdue) for r in rows] == [
        ("Bea Doe", date(2026, 3, 30), "before_discharge", False)]
    assert rows[0].text == "Satisfaction survey due 30/03/2026 (before the planned discharge)"
    assert last_audit(m)[0] == ("survey.due", {"rows": 1, "scope": "unit"})
    assert [r.resident_name for r in m.surveys.due(resident_id=bea.id)] == ["Bea Doe"]
    assert m.surveys.due(resident_id=ann.id) == []  # the record's page: that resident only
    assert last_audit(m)[0][0] == "survey.due"
    assert book_factory("worker").surveys.due("mine") == []  # Bea is worker2's
    assert [r.resident_name for r in book_factory("worker2").surveys.due("mine")] == ["Bea Doe"]
    clock.set(datetime(2026, 4, 1, 9, 0))
    assert m.surveys.due()[0].overdue and m.surveys.due()[0].text.startswith("Satisfaction survey was due")
    m.surveys.record(SurveyInput(bea.id, overall=4))
    assert m.surveys.due() == []
    # a year on, Ann's yearly survey: listed 4 weeks ahead
    clock.set(datetime(2026, 12, 9, 9, 0))
    assert [(r.resident_name, r.due_on, r.reason) for r in m.surveys.due()] == [
        ("Ann Doe", date(2027, 1, 5), "yearly")]
    clock.set(datetime(2026, 12, 7, 9, 0))
    assert m.surveys.due() == []
    with pytest.raises(ValidationError):
        m.surveys.due("everyone")
    assert ann.id  # (admitted above)


def test_counts_for_check(manager_book: Casebook, clock: FixedClock) -> None:
    rec = admit(manager_book)
    manager_book.surveys.record(SurveyInput(rec.id, overall=3))
    with manager_book._read() as s:
        assert manager_book.surveys.counts(s) == {"surveys_12m": 1}
    assert manager_book.check(integrity=False)["surveys_12m"] == 1
    clock.set(datetime(2027, 1, 6, 9, 0))
    with manager_book._read() as s:
        assert manager_book.surveys.counts(s) == {"surveys_12m": 0}  # more than 12 months ago


def test_permissions(book_factory) -> None:
    m = book_factory("manager")
    rec = admit(m)
    nights = book_factory("nights")
    with pytest.raises(PermissionDenied):
        nights.surveys.record(SurveyInput(rec.id, overall=4))
    with pytest.raises(PermissionDenied):
        book_factory("admin").surveys.record(SurveyInput(rec.id, overall=4))
    m.surveys.record(SurveyInput(rec.id, overall=4))
    assert len(nights.surveys.for_resident(rec.id)) == 1  # out of hours read them
    with pytest.raises(PermissionDenied):
        book_factory("admin").surveys.for_resident(rec.id)

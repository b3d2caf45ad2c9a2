"""Service inputs (issue 7.13, 7.14, 7.16): a value of the wrong type, a date out of any sensible
range or an unknown document purpose is answered with a ValidationError naming the field in
words a person knows, never an AttributeError, a TypeError or an "unexpected internal error"."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from keyworker.care_plans import Goal, GoalAction, PlanContent
from keyworker.casebook import Casebook
from keyworker.clock import LONDON
from keyworker.errors import ValidationError
from keyworker.reviews import Attendee, ReviewInput
from tests.fixtures.caseload import admit, last_audit, referral_input
from tests.unit import care_helpers


def fields_of(call) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as e:
        call()
    return e.value.fields


def test_a_list_inside_a_list_of_substances_is_named(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    assert fields_of(lambda: manager_book.residents.update(rec.id, {"other_substances": [["Cannabis", 1]]})) == {
        "other_substances": "Other substances: each entry must be a name, with an optional route."}
    # A well-formed list is still taken, in any of its spellings.
    after = manager_book.residents.update(rec.id, {"other_substances": [["Cannabis", "Smoked"], "Alcohol"]})
    assert after.other_substances == (("Cannabis", "Smoked"), ("Alcohol", None))


def test_missing_arguments_of_the_wrong_kind(manager_book: Casebook) -> None:
    rec = admit(manager_book)
    assert fields_of(lambda: manager_book.residents.find_by_reference(None)) == {  # type: ignore[arg-type]
        "reference": "Reference is required."}
    assert fields_of(lambda: manager_book.residents.record_consent(
        rec.id, "information_sharing", True, parties=None)) == {  # type: ignore[arg-type]
        "parties": "Parties must be a list."}
    assert fields_of(lambda: manager_book.residents.record_consent(
        rec.id, "information_sharing", True, parties=["Inspire", 7])) == {  # type: ignore[list-item]
        "parties": "Parties: each entry must be text."}
    assert fields_of(lambda: manager_book.residents.get(["R-00001"])) == {  # type: ignore[arg-type]
        "resident_id": "Resident must be text."}
    assert fields_of(lambda: manager_book.referrals.record("Jane Doe")) == {  # type: ignore[arg-type]
        "data": "The form must be a referral input or a table of values."}


def test_wrong_types_inside_an_input_dataclass_name_each_field(manager_book: Casebook) -> None:
    errors = fields_of(lambda: manager_book.referrals.record(
        referral_input(given_name=3, received_at=["today"], referrer_email=None)))
    assert errors["given_name"] == "Given name must be text."
    assert errors["received_at"] == "Date and time received must be a date and time or text."


def test_a_review_with_text_for_dates_and_numbers_for_names(worker_book: Casebook) -> None:
    _rid, aid = care_helpers.admit(worker_book)
    data = ReviewInput(admission_id=aid, held_on="05/01/2026", next_review_on=date(2026, 1, 19),  # type: ignore[arg-type]
                       resident_view="Settled.", attendees=[Attendee(7, "resident")])  # type: ignore[arg-type]
    assert fields_of(lambda: worker_book.reviews.record(data)) == {
        "held_on": "Review date must be a date.", "attendees": "Attendees: name must be text."}
    assert fields_of(lambda: worker_book.reviews.record(None)) == {  # type: ignore[arg-type]
        "data": "The form must be a review input."}


def test_a_care_plan_with_an_action_that_is_not_an_action(worker_book: Casebook) -> None:
    _rid, aid = care_helpers.admit(worker_book)
    content = PlanContent(goals=[Goal(goal="Stay well", actions=["phone mum"])])  # type: ignore[list-item]
    assert fields_of(lambda: worker_book.care_plans.save_draft(aid, content)) == {
        "goals": "Goals: actions: each entry must be a goal action."}


def test_a_document_purpose_outside_view_print_save_is_refused_and_not_audited(manager_book: Casebook) -> None:
    with manager_book._write() as s:
        doc_id = manager_book.documents._store(s, kind="test", title="Letter", content=b"%PDF-1.4").id
    before = last_audit(manager_book)
    errors = fields_of(lambda: manager_book.documents.content(doc_id, purpose="view\n' OR 1=1"))
    assert errors == {"purpose": "Say whether the document is to view, print or save."}
    assert last_audit(manager_book) == before
    assert manager_book.documents.content(doc_id, purpose="save") == b"%PDF-1.4"
    assert last_audit(manager_book)[0][0] == "document.save"


# -- dates bounded (issue 7.14) ------------------------------------------------------------------
def test_a_referral_received_in_year_one_is_refused_with_the_range(manager_book: Casebook) -> None:
    errors = fields_of(lambda: manager_book.referrals.record(
        referral_input(received_at=datetime(1, 1, 1, 10, tzinfo=LONDON))))
    assert errors == {"received_at": "Date and time received cannot be before 01/01/2000."}
    errors = fields_of(lambda: manager_book.referrals.record(referral_input(date_of_birth="01/01/1850")))
    assert errors == {"date_of_birth": "Date of birth must be between 01/01/1900 and 05/01/2026."}


def test_review_dates_far_ahead_or_far_back_are_refused(worker_book: Casebook) -> None:
    _rid, aid = care_helpers.admit(worker_book)
    base = dict(admission_id=aid, resident_view="Settled.", attendees=[Attendee("Dana", "resident")])
    errors = fields_of(lambda: worker_book.reviews.record(ReviewInput(
        held_on=date(2026, 1, 5), next_review_on=date(9999, 1, 1), next_review_reason="Long break", **base)))
    assert errors == {"next_review_on": "Next review date must be between 01/01/2000 and 06/01/2027."}
    errors = fields_of(lambda: worker_book.reviews.record(ReviewInput(
        held_on=date(1999, 12, 31), next_review_on=date(2000, 1, 7), **base)))
    assert errors == {"held_on": "Review date must be between 01/01/2000 and 05/01/2026."}
    content = care_helpers.full_content()
    content.goals[0].actions.append(GoalAction("Meet the housing officer", "Dana", date(3026, 1, 1)))
    errors = fields_of(lambda: worker_book.care_plans.save_draft(aid, content))
    assert errors == {"goals.1.actions": "Goal 1: by when must be between 01/01/2000 and 06/01/2027."}

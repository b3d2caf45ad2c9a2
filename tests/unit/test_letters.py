"""The decline letter and the review invitation as a referrer receives them, parsed back with pypdf:
the unit's letterhead and contact details, both references, the signatory's job title, the dates
the user set, plain words (no clause numbers), a late decision said plainly, short notice warned."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from pypdf import PdfReader

from keyworker import letters
from keyworker import reference_data as ref
from keyworker.casebook import Casebook
from keyworker.clock import LONDON, FixedClock
from tests.conftest import JOB_TITLES, UNIT_PROFILE
from tests.fixtures.caseload import referral_input
from tests.unit.care_helpers import admit

# The test unit's profile (tests/conftest.py): what every letter must carry.
ADDRESS = UNIT_PROFILE["address_lines"]
POSTCODE, PHONE, EMAIL = UNIT_PROFILE["postcode"], UNIT_PROFILE["phone"], UNIT_PROFILE["secure_email"]
# A clause number such as 5.1.6.2 or 4.1.5.7; dates (05/01/2026) and phones have no dots.
CLAUSE = re.compile(r"\b\d+\.\d+(\.\d+)*\b")


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def without_contact_details(book_factory) -> None:  # type: ignore[no-untyped-def]
    book_factory("admin").unit_profile.update({"phone": "", "secure_email": ""})


def assert_letter_basics(text: str) -> None:
    for expected in (*ADDRESS, POSTCODE, PHONE, EMAIL):
        assert expected in text, expected
    assert not re.search(r"\bspec\b|specification", text, re.I)
    assert not CLAUSE.search(text), CLAUSE.search(text)


# -- the decline letter ------------------------------------------------------------------------
def test_decline_letter_has_the_unit_both_references_plain_reason_and_the_seniors_title(
        book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    manager: Casebook = book_factory("manager")
    r = manager.referrals.record(referral_input(
        referrer_name="Pat Fielding", referrer_organisation="Lancashire County Council",
        referrer_address="Adult Social Care\nCounty Hall\nPreston PR1 0LD", referrer_reference="LCC/ASC/88123"))
    reason = "The risk history described cannot be managed safely alongside the current residents."
    d = manager.referrals.decline(r.id, "risk", reason)
    assert d.letter_missing == ()
    text = pdf_text(manager.documents.content(d.decline_letter_id))
    assert_letter_basics(text)
    assert "Pat Fielding Lancashire County Council Adult Social Care County Hall Preston PR1 0LD" in text
    assert letters.referral_reference(r.id) in text and "LCC/ASC/88123" in text
    assert "5 January 2026" in text  # dated the day it was decided
    assert ref.decline_letter_wording("risk") in text and reason in text
    assert "Morgan Manager" in text and JOB_TITLES["manager"] in text
    assert "What you can do next" in text
    assert "late" not in text  # decided in time: nothing to apologise for
    assert pages(manager.documents.content(d.decline_letter_id)) == 1


def test_every_decline_category_reads_without_clause_numbers() -> None:
    for option in ref.decline_categories():
        wording = ref.decline_letter_wording(option.code)
        assert wording and not re.search(r"\bspec\b", wording) and not CLAUSE.search(wording), option.code
    # the internal label keeps its clause for staff and the declines report
    assert "(spec 5.1.6.2)" in ref.label(ref.decline_categories(), "risk")


def test_a_late_decision_says_so_and_by_how_many_working_days(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    manager: Casebook = book_factory("manager")
    r = manager.referrals.record(referral_input())  # received Fri 2 Jan 10:00: due Fri 9 Jan
    clock.set(datetime(2026, 1, 20, 11, 0))  # Tue 20 Jan: 7 working days after the deadline
    d = manager.referrals.decline(r.id, "no_vacancy", "There is no suitable place available in the time needed.")
    assert d.decided_within_deadline is False
    text = pdf_text(manager.documents.content(d.decline_letter_id))
    assert "this decision is late" in text
    assert "It was due by 9 January 2026" in text and "made 7 working days after that" in text
    assert "20 January 2026" in text


def test_without_an_address_the_letter_goes_to_the_referrers_email(book_factory) -> None:  # type: ignore[no-untyped-def]
    manager: Casebook = book_factory("manager")
    r = manager.referrals.record(referral_input(referrer_organisation="Blackpool Council"))
    d = manager.referrals.decline(r.id, "eligibility", "Lives outside the Authority's boundary, no ordinary residence.")
    text = pdf_text(manager.documents.content(d.decline_letter_id))
    assert "Pat Fielding Blackpool Council pat.fielding@lancashire.gov.uk" in text


def test_an_incomplete_profile_still_makes_the_letter_and_says_what_is_missing(book_factory) -> None:  # type: ignore[no-untyped-def]
    without_contact_details(book_factory)
    manager_book: Casebook = book_factory("manager")
    r = manager_book.referrals.record(referral_input())
    d = manager_book.referrals.decline(r.id, "eligibility", "Lives outside the Authority's boundary, no ordinary residence.")
    assert d.decline_letter_id and manager_book.documents.content(d.decline_letter_id).startswith(b"%PDF")
    assert d.letter_missing == ("phone", "secure email")
    warning = letters.incomplete_profile_warning(d.letter_missing)
    assert "phone" in warning and "Administration" in warning
    # an invitation made meanwhile is made too, and says the same
    worker: Casebook = book_factory("worker")
    _, aid = admit(worker)
    made = worker.reviews.invitation_letter(aid, date(2026, 1, 19))
    assert made.missing == ("phone", "secure email") and warning in made.warnings


# -- the review invitation ---------------------------------------------------------------------
def test_invitation_is_dated_today_for_the_meeting_set_with_the_unit_and_the_workers_title(
        book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    worker: Casebook = book_factory("worker")
    rid, aid = admit(worker, planned_weeks=18)
    clock.set(datetime(2026, 2, 23, 10, 0))
    made = worker.reviews.invitation_letter(aid, date(2026, 3, 9), meeting_time="14:00", kind="midway")
    assert made.warnings == () and made.missing == ()
    assert made.invitation.invited_on == date(2026, 2, 23)
    pdf = made.document.content
    text = pdf_text(pdf)
    assert_letter_basics(text)
    assert "23 February 2026" in text  # the letter's date: the day it is produced
    assert "Monday 9 March 2026" in text and "14:00" in text  # the meeting as set
    assert "Place Test House, 1 Example Street, Preston PR1 2AB" in text  # no place given: the unit's address
    assert "Dear Priya Shah" in text and "Mid-way review" in text
    assert "Sam Worker" in text and JOB_TITLES["worker"] in text
    reference = made.document.title
    assert re.search(r"R-\d{5}", reference) and re.search(r"R-\d{5}", text)
    # what the meeting is for is said once
    assert text.count("half-way through the placement") == 1
    assert pages(pdf) == 1


def test_the_meeting_place_can_be_a_video_call(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    worker: Casebook = book_factory("worker")
    _, aid = admit(worker, planned_weeks=12)
    made = worker.reviews.invitation_letter(aid, date(2026, 1, 19), kind="regular",
                                            venue="By video call\nTeams link sent by email the day before")
    text = pdf_text(made.document.content)
    assert "By video call Teams link sent by email the day before" in text


def test_an_invitation_for_a_meeting_three_days_away_warns(book_factory, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    worker: Casebook = book_factory("worker")
    _, aid = admit(worker, planned_weeks=12)
    clock.set(datetime(2026, 1, 16, 10, 0, tzinfo=LONDON))
    made = worker.reviews.invitation_letter(aid, date(2026, 1, 19))
    assert len(made.warnings) == 1
    assert "only 3 days away" in made.warnings[0] and "7 days' notice" in made.warnings[0]
    assert made.document.content.startswith(b"%PDF")  # still made: the worker decided
    assert letters.notice_warning(date(2026, 1, 23), date(2026, 1, 16)) == ""  # a week's notice is enough

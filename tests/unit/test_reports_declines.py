"""The declined-referrals report (4.1.2.3): periods and quarters, counts by reason and referrer
organisation, in time or late against the 5-working-day deadline, PDF and CSV read back, who may
produce it, and its audit entry (the period, never a name)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from pypdf import PdfReader

from keyworker.casebook import Casebook
from keyworker.clock import FixedClock
from keyworker.documents.declines_report import declines_report_pdf
from keyworker.errors import PermissionDenied, ValidationError
from keyworker.reports import (
    Period,
    between,
    declines_report_csv,
    previous_quarter,
    quarter,
    quarter_of,
)
from tests.fixtures.caseload import last_audit, referral_input
from tests.fixtures.reports import REASONS, at, decline_at

# -- periods -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, start, end", [
    ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
])
def test_quarters_are_calendar_quarters(text: str, start: date, end: date) -> None:
    p = quarter(text)
    assert (p.start, p.end) == (start, end)
    assert p.quarter == text.upper().replace("-", "")


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "26Q1", "Q1 2026", "", "2026"])
def test_a_bad_quarter_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError, match="2026Q1"):
        quarter(text)


def test_quarter_helpers_and_custom_periods() -> None:
    assert quarter_of(date(2026, 11, 24)) == quarter("2026Q4")
    assert previous_quarter(quarter("2026Q1")) == quarter("2025Q4")
    assert between("01/01/2026", "2026-03-31") == quarter("2026Q1")  # a whole quarter is named as one
    custom = between("15/01/2026", "20/02/2026")
    assert custom == Period(date(2026, 1, 15), date(2026, 2, 20))
    assert custom.label == "15 January 2026 to 20 February 2026"
    assert quarter("2026Q1").label == "1 January 2026 to 31 March 2026 (2026 Q1)"
    with pytest.raises(ValidationError) as bad:
        between("31/02/2026", "yesterday")
    assert set(bad.value.fields) == {"from", "to"}
    with pytest.raises(ValidationError, match="ends before it starts"):
        between("2026-03-01", "2026-02-01")


# -- the report --------------------------------------------------------------------------------
def test_quarter_boundaries_are_london_days(manager_book: Casebook, clock: FixedClock) -> None:
    # 31 March 23:30 BST is still Q1 in London (22:30 UTC); 1 April 00:15 BST is Q2 (23:15 UTC on 31 March).
    last_q1 = decline_at(manager_book, clock, at(2026, 3, 27), at(2026, 3, 31, 23, 30))
    first_q2 = decline_at(manager_book, clock, at(2026, 3, 30), at(2026, 4, 1, 0, 15))
    first_q1 = decline_at(manager_book, clock, at(2025, 12, 30), at(2026, 1, 1, 0, 5))
    decline_at(manager_book, clock, at(2025, 12, 29), at(2025, 12, 31, 23, 55))

    q1 = manager_book.reports.declines(quarter("2026Q1"))
    assert [r.referral_id for r in q1.rows] == [first_q1, last_q1]
    q2 = manager_book.reports.declines(quarter("2026Q2"))
    assert [r.referral_id for r in q2.rows] == [first_q2]
    one_day = manager_book.reports.declines(between("31/03/2026", "31/03/2026"))
    assert [r.referral_id for r in one_day.rows] == [last_q1]


def test_open_accepted_and_archived_referrals_are_not_declines(manager_book: Casebook, clock: FixedClock) -> None:
    clock.set(at(2026, 1, 6))
    manager_book.referrals.record(referral_input())
    accepted = manager_book.referrals.record(referral_input(given_name="Amy"))
    manager_book.referrals.accept(accepted.id)
    decline_at(manager_book, clock, at(2026, 1, 5), at(2026, 1, 7))
    assert manager_book.reports.declines(quarter("2026Q1")).total == 1


def test_counts_by_reason_and_referrer_organisation(manager_book: Casebook, clock: FixedClock) -> None:
    lcc, bwd = "Lancashire County Council", "Blackburn with Darwen Council"
    decline_at(manager_book, clock, at(2026, 1, 5), at(2026, 1, 6), "risk", referrer_organisation=lcc)
    decline_at(manager_book, clock, at(2026, 1, 12), at(2026, 1, 13), "no_vacancy", referrer_organisation=bwd)
    decline_at(manager_book, clock, at(2026, 2, 2), at(2026, 2, 3), "risk", referrer_organisation=lcc)
    decline_at(manager_book, clock, at(2026, 2, 9), at(2026, 2, 10), "eligibility", referrer_organisation=None)

    report = manager_book.reports.declines(quarter("2026Q1"))
    assert report.total == 4
    assert report.by_reason == (
        ("Risk to others cannot be managed in the unit (spec 5.1.6.2)", 2),
        ("Does not meet the eligibility criteria (spec 5.1.1)", 1),  # ties in the reference order
        ("No suitable place available in time", 1),
    )
    assert report.by_organisation == ((lcc, 2), (bwd, 1), ("Not recorded", 1))
    assert sum(n for _, n in report.by_reason) == report.total


def test_in_time_means_within_five_working_days(manager_book: Casebook, clock: FixedClock) -> None:
    # Received Monday 5 January before 17:00: the decision is due by Monday 12 January.
    on_due_day = decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 12, 16, 59), given_name="Ann")
    a_day_late = decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 13, 9), given_name="Ben")
    # Received Friday at 17:30: counts as received Monday 12 January, due Monday 19 January.
    after_hours = decline_at(manager_book, clock, at(2026, 1, 9, 17, 30), at(2026, 1, 19, 12), given_name="Cat")

    report = manager_book.reports.declines(quarter("2026Q1"))
    rows = {r.referral_id: r for r in report.rows}
    assert rows[on_due_day].in_time and rows[on_due_day].working_days_taken == 5
    assert not rows[a_day_late].in_time and rows[a_day_late].working_days_taken == 6
    assert rows[a_day_late].decision_due_on == date(2026, 1, 12)
    assert rows[after_hours].in_time and rows[after_hours].decision_due_on == date(2026, 1, 19)
    assert (report.in_time, report.late, report.in_time_pct) == (2, 1, 67)


def test_an_empty_period_is_a_report_too(manager_book: Casebook, clock: FixedClock) -> None:
    report = manager_book.reports.declines(quarter("2025Q3"))
    assert (report.total, report.by_reason, report.by_organisation, report.in_time_pct) == (0, (), (), None)
    text = _pdf_text(declines_report_pdf(report, "Test Unit", clock.now()))
    assert "No referrals were declined in this period." in text


def test_a_key_worker_may_not_produce_it(worker_book: Casebook) -> None:
    with pytest.raises(PermissionDenied):
        worker_book.reports.declines(quarter("2026Q1"))


def test_admin_may_produce_it(admin_book: Casebook) -> None:
    assert admin_book.reports.declines(quarter("2026Q1")).total == 0


def test_producing_it_is_audited_with_the_period_and_never_a_name(manager_book: Casebook,
                                                                  clock: FixedClock) -> None:
    decline_at(manager_book, clock, at(2026, 1, 5), at(2026, 1, 6), given_name="Jolene", family_name="Quayle",
               referrer_name="Pat Fielding")
    manager_book.reports.declines(quarter("2026Q1"), output="pdf")
    (action, detail), = last_audit(manager_book)
    assert action == "report.declines"
    assert detail == {"from": "2026-01-01", "to": "2026-03-31", "rows": 1, "output": "pdf"}
    assert not re.search("Jolene|Quayle|Fielding", json.dumps(detail))
    with pytest.raises(ValidationError):
        manager_book.reports.declines(quarter("2026Q1"), output="fax")


# -- PDF and CSV -------------------------------------------------------------------------------
def _pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def test_pdf_holds_the_period_the_counts_and_every_reason_in_full(manager_book: Casebook,
                                                                  clock: FixedClock) -> None:
    for i, (category, reason) in enumerate(REASONS.items()):
        decline_at(manager_book, clock, at(2026, 2, 2 + 7 * i), at(2026, 2, 3 + 7 * i), category, reason,
                   given_name=f"Person{i}")
    report = manager_book.reports.declines(quarter("2026Q1"))
    pdf = declines_report_pdf(report, "Ribble House", clock.now())
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "1 January 2026 to 31 March 2026 (2026 Q1)" in text
    assert "Ribble House" in text and "Declined referrals" in text
    for reason in REASONS.values():
        assert reason in text
    for label, _n in report.by_reason:
        assert label in text
    assert "Person0 Doe" in text and "4.1.2.3" in text


def test_pdf_of_many_long_reasons_spans_pages(manager_book: Casebook, clock: FixedClock) -> None:
    long_reason = "The unit cannot meet the assessed needs at present. " * 60
    for i in range(12):
        decline_at(manager_book, clock, at(2026, 1, 5 + i), at(2026, 1, 5 + i, 15), "needs_not_met", long_reason)
    pdf = declines_report_pdf(manager_book.reports.declines(quarter("2026Q1")), "", clock.now())
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 5


def test_csv_reads_back_with_a_bom_and_one_row_per_decline(manager_book: Casebook, clock: FixedClock) -> None:
    decline_at(manager_book, clock, at(2026, 1, 5, 9), at(2026, 1, 13, 9), "risk", given_name="Chloé",
               referrer_organisation="Lancashire County Council")
    decline_at(manager_book, clock, at(2026, 2, 2), at(2026, 2, 3), "no_vacancy",
               "=HYPERLINK(\"http://example.invalid\") no suitable place available in time", family_name="-Smith")
    content = declines_report_csv(manager_book.reports.declines(quarter("2026Q1")))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 2
    first, second = rows
    assert first["Given name"] == "Chloé" and first["Family name"] == "Doe"
    assert first["Referral received"] == "05/01/2026 09:00" and first["Decided"] == "13/01/2026 09:00"
    assert first["Decision due by"] == "12/01/2026"
    assert (first["Decided in time"], first["Working days to decide"]) == ("No", "6")
    assert first["Reason category"] == "Risk to others cannot be managed in the unit (spec 5.1.6.2)"
    assert first["Reasons in full"] == REASONS["risk"]
    assert first["Referrer organisation"] == "Lancashire County Council"
    assert first["Decided by"] == "Morgan Manager"
    # Text that starts like a spreadsheet formula is shown, never run.
    assert second["Reasons in full"].startswith("'=HYPERLINK")
    assert second["Family name"] == "'-Smith"

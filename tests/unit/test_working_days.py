"""The 5-working-day decision deadline across weekends and England & Wales bank holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyworker.clock import LONDON
from keyworker.working_days import (
    add_working_days,
    counts_as_received_on,
    decision_due,
    is_working_day,
    working_days_between,
    working_days_left,
)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def test_bank_holidays_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(date(2026, 1, 3))  # Saturday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day observed (26th is a Saturday)
    assert is_working_day(date(2026, 4, 2))


def test_thursday_before_easter_skips_good_friday_and_easter_monday() -> None:
    # Thu 2 Apr 2026 counts as day 0; Tue 7, Wed 8, Thu 9, Fri 10, Mon 13.
    assert decision_due(at(2026, 4, 2, 9, 30)) == date(2026, 4, 13)


def test_ordinary_week_and_weekend_crossing() -> None:
    assert decision_due(at(2026, 1, 5)) == date(2026, 1, 12)  # Monday -> next Monday
    assert decision_due(at(2026, 1, 8)) == date(2026, 1, 15)  # Thursday -> next Thursday


def test_after_five_pm_counts_from_the_next_working_day() -> None:
    assert counts_as_received_on(at(2026, 4, 2, 17, 0)) == date(2026, 4, 7)  # next working day after Easter
    assert decision_due(at(2026, 4, 2, 17, 0)) == date(2026, 4, 14)
    assert counts_as_received_on(at(2026, 1, 5, 16, 59)) == date(2026, 1, 5)


def test_weekend_and_bank_holiday_receipt_counts_from_the_next_working_day() -> None:
    assert counts_as_received_on(at(2026, 1, 3)) == date(2026, 1, 5)  # Saturday -> Monday
    assert decision_due(at(2026, 1, 4, 11)) == date(2026, 1, 12)  # Sunday
    assert decision_due(at(2026, 4, 3, 11)) == date(2026, 4, 14)  # Good Friday -> Tue 7 -> Tue 14


def test_christmas_and_new_year() -> None:
    # Wed 23 Dec 2026: Thu 24 (1), Fri 25 and Mon 28 are holidays, Tue 29 (2), Wed 30 (3), Thu 31 (4),
    # Fri 1 Jan is a holiday, Mon 4 Jan (5).
    assert decision_due(at(2026, 12, 23)) == date(2027, 1, 4)


def test_utc_receipt_time_is_read_in_london() -> None:
    from datetime import UTC

    # 16:30 UTC on 1 July = 17:30 BST: after hours.
    assert counts_as_received_on(datetime(2026, 7, 1, 16, 30, tzinfo=UTC)) == date(2026, 7, 2)


@pytest.mark.parametrize(
    ("today", "left"),
    [
        (date(2026, 4, 2), 5),
        (date(2026, 4, 10), 1),
        (date(2026, 4, 13), 0),
        (date(2026, 4, 14), -1),
        (date(2026, 4, 11), 1),  # a Saturday: Monday is the next working day and the due day
    ],
)
def test_working_days_left(today: date, left: int) -> None:
    assert working_days_left(date(2026, 4, 13), today) == left


def test_add_working_days_backwards_and_zero() -> None:
    assert add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 2)
    assert add_working_days(date(2026, 4, 7), 0) == date(2026, 4, 7)


# -- counted arithmetically (issue 7.14) -------------------------------------------------------
def _one_by_one(start: date, end: date) -> int:
    """The old day-by-day count, kept here as the reference."""
    from datetime import timedelta

    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count, d = 0, start
    while d < end:
        d += timedelta(days=1)
        count += is_working_day(d)
    return sign * count


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.dates(date(1995, 1, 1), date(2035, 12, 31)), st.integers(-800, 800))
def test_arithmetic_count_matches_counting_day_by_day(start: date, span: int) -> None:
    from datetime import timedelta

    end = start + timedelta(days=span)
    assert working_days_between(start, end) == _one_by_one(start, end)


def test_a_deadline_in_year_one_is_counted_without_walking_the_days() -> None:
    # Stored before dates were range-checked; bounded by the test timeout, not timed.
    assert working_days_left(date(1, 1, 8), date(2026, 1, 5)) == -(_weekdays(date(1, 1, 8), date(2026, 1, 5))
                                                                    - _bank_holidays_between(date(1, 1, 8),
                                                                                             date(2026, 1, 5)))


def _weekdays(start: date, end: date) -> int:
    days = (end - start).days
    return sum(1 for k in range(1, days + 1) if (start.weekday() + k) % 7 < 5)


def _bank_holidays_between(start: date, end: date) -> int:
    import holidays

    found = holidays.country_holidays("GB", subdiv="ENG", years=range(start.year, end.year + 1))
    return sum(1 for d in found if start < d <= end and d.weekday() < 5)

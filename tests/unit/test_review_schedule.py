"""The pure scheduling rules: first review, next review, the 14-day boundary, mid-way and
pre-discharge dates, and which meeting a review should be."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from keyworker import review_schedule as rs

ADMITTED = date(2026, 1, 5)


def test_first_review_is_due_14_days_after_admission() -> None:
    assert rs.first_review_due(ADMITTED) == date(2026, 1, 19)
    assert rs.next_due(ADMITTED, None) == date(2026, 1, 19)


def test_next_review_follows_the_date_agreed_at_the_last_review() -> None:
    assert rs.next_due(ADMITTED, date(2026, 1, 30)) == date(2026, 1, 30)
    assert rs.latest_next_review(date(2026, 1, 16)) == date(2026, 1, 30)


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 1, 5), rs.LATER),            # admission day: due in 14 days
    (date(2026, 1, 11), rs.LATER),           # 8 days to go
    (date(2026, 1, 12), rs.DUE_THIS_WEEK),   # 7 days to go
    (date(2026, 1, 18), rs.DUE_THIS_WEEK),
    (date(2026, 1, 19), rs.DUE_TODAY),       # exactly 14 days since admission: due, not overdue
    (date(2026, 1, 20), rs.OVERDUE),         # 15 days: overdue
])
def test_status_around_the_14_day_boundary(today: date, status: str) -> None:
    assert rs.review_status(today, rs.first_review_due(ADMITTED)) == status


@pytest.mark.parametrize(("weeks", "days"), [(12, 42), (18, 63), (26, 91), (13, 45)])
def test_midway_is_half_the_planned_length(weeks: int, days: int) -> None:
    assert rs.midway_date(ADMITTED, weeks) == ADMITTED + timedelta(days=days)


def test_pre_discharge_is_in_the_last_fortnight() -> None:
    assert rs.planned_end(ADMITTED, 12) == date(2026, 3, 30)
    assert rs.pre_discharge_date(ADMITTED, 12) == date(2026, 3, 16)


def test_suggested_kind_marks_the_midway_and_pre_discharge_meetings() -> None:
    kind = rs.suggested_kind
    assert kind(date(2026, 2, 2), ADMITTED, 12, midway_held=False, pre_discharge_held=False) == rs.REGULAR
    # the first review on or after the mid-way date (16 Feb) is the mid-way review
    assert kind(date(2026, 2, 16), ADMITTED, 12, midway_held=False, pre_discharge_held=False) == rs.MIDWAY
    assert kind(date(2026, 3, 2), ADMITTED, 12, midway_held=True, pre_discharge_held=False) == rs.REGULAR
    assert kind(date(2026, 3, 16), ADMITTED, 12, midway_held=True, pre_discharge_held=False) == rs.PRE_DISCHARGE
    assert kind(date(2026, 3, 20), ADMITTED, 12, midway_held=True, pre_discharge_held=True) == rs.REGULAR

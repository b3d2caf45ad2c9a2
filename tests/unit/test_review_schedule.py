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


# -- which review is the mid-way one: the one nearest half the planned length --------------------
# 12 weeks from 05/01/2026: mid-way 16/02, so the window opens 09/02 (7 days before).
@pytest.mark.parametrize(("due", "kind"), [
    (date(2026, 2, 8), rs.REGULAR),   # 8 days before: the next, 14 days on (22/02), is 6 days after: nearer
    (date(2026, 2, 9), rs.MIDWAY),    # 7 before, the next 7 after: equally near, the earlier wins
    (date(2026, 2, 10), rs.MIDWAY),   # 6 before: nearer than the next (8 after)
    (date(2026, 2, 16), rs.MIDWAY),   # on the day
    (date(2026, 2, 23), rs.MIDWAY),   # the mid-way date has passed without one: it is the next review
])
def test_the_midway_review_is_the_one_nearest_half_the_planned_length(due: date, kind: str) -> None:
    assert rs.midway_window_start(ADMITTED, 12) == date(2026, 2, 9)
    assert rs.suggested_kind(due, ADMITTED, 12, midway_held=False, pre_discharge_held=False) == kind


@pytest.mark.parametrize("weeks", range(12, 27))
@pytest.mark.parametrize("first_gap", range(1, 15))
def test_in_a_fortnightly_run_the_review_marked_midway_is_the_nearest(weeks: int, first_gap: int) -> None:
    """Reviews every 14 days from any first date: the one marked mid-way is the nearest to the
    mid-way date (of two equally near, the earlier)."""
    mid = rs.midway_date(ADMITTED, weeks)
    dates = [ADMITTED + timedelta(days=first_gap + 14 * n) for n in range(weeks // 2 + 1)]
    held: set[str] = set()
    marked = []
    for d in dates:
        kind = rs.suggested_kind(d, ADMITTED, weeks, midway_held=rs.MIDWAY in held,
                                 pre_discharge_held=rs.PRE_DISCHARGE in held)
        held.add(kind)
        if kind == rs.MIDWAY:
            marked.append(d)
    nearest = min(dates, key=lambda d: (abs((d - mid).days), d))
    assert marked == [nearest]


def test_a_missed_midway_review_comes_before_the_pre_discharge_meeting() -> None:
    """12 weeks: pre-discharge from 16/03. With no mid-way review held, the review due 16/03 is
    the mid-way review; the one after it the pre-discharge planning meeting."""
    kind = rs.suggested_kind
    assert kind(date(2026, 3, 16), ADMITTED, 12, midway_held=False, pre_discharge_held=False) == rs.MIDWAY
    assert kind(date(2026, 3, 23), ADMITTED, 12, midway_held=True, pre_discharge_held=False) == rs.PRE_DISCHARGE


@pytest.mark.parametrize(("on", "after"), [(date(2026, 3, 29), False), (date(2026, 3, 30), False),
                                           (date(2026, 3, 31), True)])
def test_a_review_after_the_planned_end_is_noticed(on: date, after: bool) -> None:
    assert rs.planned_end(ADMITTED, 12) == date(2026, 3, 30)  # a review on the last day is still in the stay
    assert rs.after_planned_end(on, ADMITTED, 12) is after

"""Pure review-scheduling rules (contract 4.1.5.4–4.1.5.7): no database, no clock, easy to test.

- The first review is due at most 14 days after admission; the next at most 14 days after each
  review. "Overdue" means the due date has passed (more than 14 days since the last review or
  since admission, unless a later date was agreed with a recorded reason).
- The referrer must be invited to the mid-way review (half the planned length) and to the
  pre-discharge planning meeting.
- Which review is the mid-way one: the review nearest the mid-way date. Reviews come every 14
  days, so that is the first one due no more than 7 days before it (`midway_window_start`): one
  due 8 days before is farther from it than the next, due 6 days after. Exactly 7 days before
  and 7 after are equally near; the earlier wins, so the mid-way point does not pass first.
- If the mid-way date has passed without a mid-way review, the next review is the mid-way
  review, before the pre-discharge planning meeting (which follows it).
- The placement ends on its planned end date: a review set for after it will not happen, so
  the discharge meeting is planned instead (`after_planned_end`).
"""
from __future__ import annotations

from datetime import date, timedelta

REVIEW_INTERVAL_DAYS = 14
DUE_SOON_DAYS = 7
# The pre-discharge planning meeting falls in the last fortnight of the planned placement.
PRE_DISCHARGE_LEAD_DAYS = 14
# Half the interval: the review due this many days before the mid-way date is still the nearest.
MIDWAY_NEAREST_DAYS = REVIEW_INTERVAL_DAYS // 2

OVERDUE = "overdue"
DUE_TODAY = "due_today"
DUE_THIS_WEEK = "due_this_week"
LATER = "later"

STATUS_LABELS = {
    OVERDUE: "Overdue",
    DUE_TODAY: "Due today",
    DUE_THIS_WEEK: "Due this week",
    LATER: "Later",
}

REGULAR = "regular"
MIDWAY = "midway"
PRE_DISCHARGE = "pre_discharge"
KIND_LABELS = {
    REGULAR: "Review",
    MIDWAY: "Mid-way review",
    PRE_DISCHARGE: "Pre-discharge planning meeting",
}
REFERRER_KINDS = frozenset({MIDWAY, PRE_DISCHARGE})


def first_review_due(admitted_on: date) -> date:
    return admitted_on + timedelta(days=REVIEW_INTERVAL_DAYS)


def latest_next_review(held_on: date) -> date:
    """The latest date the next review may be set for without a recorded reason."""
    return held_on + timedelta(days=REVIEW_INTERVAL_DAYS)


def next_due(admitted_on: date, last_review_next_on: date | None) -> date:
    """When the next review is due: the date agreed at the latest review, else admission + 14."""
    return last_review_next_on if last_review_next_on is not None else first_review_due(admitted_on)


def planned_end(admitted_on: date, planned_weeks: int) -> date:
    return admitted_on + timedelta(weeks=planned_weeks)


def midway_date(admitted_on: date, planned_weeks: int) -> date:
    """Half the planned length (12 weeks -> day 42, 18 -> day 63, 26 -> day 91)."""
    return admitted_on + timedelta(days=(planned_weeks * 7) // 2)


def midway_window_start(admitted_on: date, planned_weeks: int) -> date:
    """The first due date that makes a review the mid-way one (see the module's rules)."""
    return midway_date(admitted_on, planned_weeks) - timedelta(days=MIDWAY_NEAREST_DAYS)


def after_planned_end(on: date, admitted_on: date, planned_weeks: int) -> bool:
    """A review on `on` would fall after the placement's planned end."""
    return on > planned_end(admitted_on, planned_weeks)


def pre_discharge_date(admitted_on: date, planned_weeks: int) -> date:
    """From this date the next review is the pre-discharge planning meeting."""
    return planned_end(admitted_on, planned_weeks) - timedelta(days=PRE_DISCHARGE_LEAD_DAYS)


def review_status(today: date, due: date) -> str:
    if due < today:
        return OVERDUE
    if due == today:
        return DUE_TODAY
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE_THIS_WEEK
    return LATER


def suggested_kind(due: date, admitted_on: date, planned_weeks: int, *, midway_held: bool,
                   pre_discharge_held: bool) -> str:
    """Which meeting the next review (due on `due`) should be. The mid-way review first: the review
    nearest the mid-way date (due on or after `midway_window_start`), or the next one once that
    date has passed without it. Then the first review on or after the pre-discharge date is the
    pre-discharge planning meeting."""
    if not midway_held and due >= midway_window_start(admitted_on, planned_weeks):
        return MIDWAY
    if not pre_discharge_held and due >= pre_discharge_date(admitted_on, planned_weeks):
        return PRE_DISCHARGE
    return REGULAR

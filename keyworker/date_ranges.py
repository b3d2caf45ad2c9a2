"""How far back and ahead a date typed into Keyworker may be: the one place that says so.

A date outside its range is a typing slip (0001-01-01, 20266 for 2026) and is refused with the
range in UK format, before anything counts days across it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

EARLIEST_BIRTH = date(1900, 1, 1)
# Referrals, decisions, admissions, reviews, consents, agreements: nothing this unit records is older.
EARLIEST_RECORD = date(2000, 1, 1)
# A medicine may have been prescribed long before the admission (a decades-long prescription).
EARLIEST_MEDICATION = date(1950, 1, 1)
# Planned dates (the next review, a goal's "by when", a meeting) lie at most this far ahead.
PLANNING_HORIZON = timedelta(days=366)


def recorded(today: date) -> tuple[date, date]:
    """Something that has happened: a referral received, a review held, a consent given."""
    return EARLIEST_RECORD, today


def planned(today: date) -> tuple[date, date]:
    """Something arranged for later, or already past: the next review, a goal action's date."""
    return EARLIEST_RECORD, today + PLANNING_HORIZON


def out_of_range(label: str, value: date | datetime, low: date, high: date) -> str | None:
    """The message for a date outside [low, high], or None when it is inside."""
    day = value.date() if isinstance(value, datetime) else value
    if low <= day <= high:
        return None
    return f"{label} must be between {low:%d/%m/%Y} and {high:%d/%m/%Y}."

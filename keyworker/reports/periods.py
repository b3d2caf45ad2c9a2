"""Reporting periods: calendar quarters ("2026Q1" is 1 January to 31 March 2026) and custom
from–to ranges of London days, both ends included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from keyworker.errors import ValidationError
from keyworker.validation import parse_date

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included. `quarter` is "2026Q1" when it is exactly one."""

    start: date
    end: date
    quarter: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """'1 January 2026 to 31 March 2026 (2026 Q1)' for people; never ambiguous about the year."""
        text = f"{long_date(self.start)} to {long_date(self.end)}"
        return f"{text} ({self.quarter[:4]} {self.quarter[4:]})" if self.quarter else text

    @property
    def slug(self) -> str:
        """For file names: 2026Q1 or 2026-01-01_2026-02-15."""
        return self.quarter or f"{self.start.isoformat()}_{self.end.isoformat()}"


def long_date(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def quarter(text: str) -> Period:
    """'2026Q1' (also '2026-Q1', '2026 q1') -> 1 Jan–31 Mar 2026. Raises ValidationError."""
    m = _QUARTER.match(text or "")
    if not m:
        raise ValidationError({"quarter": f"'{text}' is not a quarter: write it as 2026Q1 (January to March)."})
    return quarter_of(date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1))


def quarter_of(d: date) -> Period:
    """The calendar quarter containing `d`."""
    q = (d.month - 1) // 3 + 1
    start = date(d.year, 3 * q - 2, 1)
    next_start = date(d.year + 1, 1, 1) if q == 4 else date(d.year, 3 * q + 1, 1)
    return Period(start, next_start - timedelta(days=1), f"{d.year}Q{q}")


def previous_quarter(p: Period) -> Period:
    return quarter_of(p.start - timedelta(days=1))


def between(start: date | str, end: date | str) -> Period:
    """A custom period from dates or text (dd/mm/yyyy or ISO). Raises ValidationError. A range that
    is exactly a calendar quarter is labelled as one."""
    errors: dict[str, str] = {}
    days: list[date] = []
    for field, value in (("from", start), ("to", end)):
        try:
            days.append(parse_date(value))
        except ValueError:
            errors[field] = f"'{value}' is not a date (write it as dd/mm/yyyy, e.g. 31/03/2026)"
    if errors:
        raise ValidationError(errors)
    first, last = days
    if last < first:
        raise ValidationError({"to": "the period ends before it starts; give a date on or after the 'from' date."})
    q = quarter_of(first)
    return q if (q.start, q.end) == (first, last) else Period(first, last)

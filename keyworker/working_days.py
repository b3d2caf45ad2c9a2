"""Working days in England: Monday to Friday except England & Wales bank holidays (the
`holidays` package, subdivision ENG). The referral decision is due 5 working days after receipt
(service specification 4.1.2.3, Annex 3 step 4).

The receipt rule (ours, documented here and in the UI's help): a referral received on a working
day before 17:00 (Europe/London) counts as received that day. One received at or after 17:00, or
on a weekend or bank holiday, counts as received on the next working day. The decision is due at
the end of the 5th working day after the day it counts as received."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays

from keyworker.clock import to_local

DECISION_WORKING_DAYS = 5
END_OF_WORKING_DAY = time(17, 0)
# "Near the deadline": this many working days left or fewer (0 = due today, 1 = due tomorrow).
NEAR_DEADLINE_DAYS = 1
# The Bank Holidays Act 1871: there are none before (the holidays package agrees).
FIRST_BANK_HOLIDAY_YEAR = 1871


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def next_working_day(d: date) -> date:
    """The first working day strictly after `d`."""
    d += timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(start: date, n: int) -> date:
    """`n` working days after `start` (start itself is not counted). n may be 0 or negative."""
    d = start
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        d += timedelta(days=step)
        if is_working_day(d):
            remaining -= 1
    return d


def counts_as_received_on(received_at: datetime) -> date:
    """The working day a referral counts as received on (see the module docstring)."""
    local = to_local(received_at)
    day = local.date()
    if is_working_day(day) and local.time() < END_OF_WORKING_DAY:
        return day
    return next_working_day(day)


def decision_due(received_at: datetime) -> date:
    """The last day on which the accept/decline decision meets the 5-working-day rule."""
    return add_working_days(counts_as_received_on(received_at), DECISION_WORKING_DAYS)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start. Counted arithmetically
    (whole weeks x 5, the weekdays of the part week, less the bank holidays on weekdays), so a
    referral dated decades ago costs no more to show than one from last week."""
    if end == start:
        return 0
    if end < start:
        return -working_days_between(end, start)
    return _weekdays_through(end) - _weekdays_through(start) - _bank_holidays_in(start, end)


def _weekdays_through(d: date) -> int:
    """Monday-to-Friday days from a fixed Monday up to and including `d` (only differences matter)."""
    days = d.toordinal()  # ordinal 1 (0001-01-01) is a Monday
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


def _bank_holidays_in(start: date, end: date) -> int:
    """Bank holidays on weekdays in (start, end]."""
    first = max(start.year, FIRST_BANK_HOLIDAY_YEAR)
    return sum(1 for year in range(first, end.year + 1) for h in _bank_holidays(year)
               if start < h <= end and h.weekday() < 5)


def working_days_left(due: date, today: date) -> int:
    """Working days from today until the due day: 0 when due today, negative when overdue
    (-1 = the due day was the previous working day or earlier that many working days)."""
    if today > due:
        return -max(1, working_days_between(due, today))
    return working_days_between(today, due)

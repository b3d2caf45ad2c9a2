"""The clock is injected everywhere a rule depends on 'now', so deadlines are testable."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=LONDON)
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **kwargs: float) -> None:
        self._at += timedelta(**kwargs)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=LONDON)
        self._at = at.astimezone(UTC)


def local_today(clock: Clock) -> date:
    """Today's date in Europe/London (the unit's day, not UTC's)."""
    return clock.now().astimezone(LONDON).date()


def to_local(at: datetime) -> datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(LONDON)


def format_date(d: date | datetime | None) -> str:
    """UK format, as users write it: 24/11/2026."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = to_local(d)
    return d.strftime("%d/%m/%Y")


def format_datetime(at: datetime | None) -> str:
    if at is None:
        return ""
    return to_local(at).strftime("%d/%m/%Y %H:%M")

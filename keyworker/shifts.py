"""The unit's shifts (early, late, night) and where the previous one started, in Europe/London
wall-clock time: a shift starts at 07:00 local whether the clocks went forward or back that night,
so a night across a clock change is 8 or 10 hours long, not 9. No Qt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from keyworker.clock import LONDON

# Defaults, overridden by unit settings (keyworker.settings SPECS: shift_early, shift_late, shift_night).
DEFAULT_STARTS = {"early": time(7, 0), "late": time(14, 30), "night": time(21, 30)}
SHIFT_WORDS = {"early": "early shift", "late": "late shift", "night": "night shift"}


@dataclass(frozen=True)
class ShiftStart:
    name: str  # early / late / night
    at: datetime  # UTC aware

    @property
    def words(self) -> str:
        local = self.at.astimezone(LONDON)
        return f"the start of the {SHIFT_WORDS[self.name]} ({local:%H:%M} on {local:%d/%m/%Y})"


def parse_start(value: object, default: time) -> time:
    """'HH:MM' as stored in a unit setting; anything else is the default."""
    if isinstance(value, str):
        try:
            h, m = value.strip().split(":")
            return time(int(h), int(m))
        except ValueError:
            return default
    return default


def starts_around(now: datetime, starts: dict[str, time]) -> list[ShiftStart]:
    """Every shift start from two days before `now` to `now`, oldest first."""
    local_day = now.astimezone(LONDON).date()
    out: list[ShiftStart] = []
    for back in (2, 1, 0):
        day = local_day - timedelta(days=back)
        for name, t in starts.items():
            # fold=0: a wall time that happens twice (October) means its first occurrence.
            at = datetime.combine(day, t, LONDON).astimezone(LONDON)
            out.append(ShiftStart(name, at.astimezone(now.tzinfo)))
    return sorted((s for s in out if s.at <= now), key=lambda s: s.at)


def current_shift(now: datetime, starts: dict[str, time] | None = None) -> ShiftStart:
    return starts_around(now, starts or DEFAULT_STARTS)[-1]


def previous_shift(now: datetime, starts: dict[str, time] | None = None) -> ShiftStart:
    """The start of the shift before the one `now` is in (the handover's default "since")."""
    return starts_around(now, starts or DEFAULT_STARTS)[-2]

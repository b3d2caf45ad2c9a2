"""Today sections for incidents and safeguarding: "MARAC referrals due" (key workers and seniors:
their residents, or the unit's), and for seniors "Incidents in the last 24 hours" (the unit). A row
opens the resident on the tab where it is dealt with. Night staff see "Incidents tonight" (since 18:00)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from keyworker.clock import LONDON, format_datetime
from keyworker.security.permissions import Permission, Role
from ui.today import MINE, TodayItem, register_today_section

NIGHT_FROM = 18  # "tonight" starts at 18:00, the unit's time


def marac_due(book: Any, scope: str = MINE) -> list[TodayItem]:
    return [TodayItem(f"{m.resident_name} ({m.reference}) — make a MARAC referral: {m.grounds_text}",
                      m.resident_id, tab="safeguarding") for m in book.safeguarding.marac_due(scope)]


def _item(x: Any) -> TodayItem:
    flags = "".join((" · police" if x.police_involved else "",
                     " · safeguarding referral" if x.safeguarding_referral else ""))
    return TodayItem(f"{format_datetime(x.occurred_at)} — {x.kind_label}: {x.resident_name} "
                     f"({x.resident_reference}){flags}", x.resident_id, tab="incidents")


def incidents_last_day(book: Any) -> list[TodayItem]:
    return [_item(x) for x in book.incidents.recent(24)]


def incidents_tonight(book: Any) -> list[TodayItem]:
    """For night staff: since the evening began (18:00, or the day before's if it is not yet 18:00)."""
    now = book.clock.now().astimezone(LONDON)
    start = now.replace(hour=NIGHT_FROM, minute=0, second=0, microsecond=0)
    if now < start:
        start -= timedelta(days=1)
    hours = max(1, min(48, int((now - start).total_seconds() // 3600) + 1))
    return [_item(x) for x in book.incidents.recent(hours) if x.occurred_at >= start]


register_today_section("marac_due", "MARAC referrals due", marac_due, 25, permission=Permission.RECORD_SAFEGUARDING)
register_today_section("incidents_24h", "Incidents in the last 24 hours", incidents_last_day, 26,
                       permission=Permission.VIEW_UNIT_INCIDENTS)
register_today_section("incidents_tonight", "Incidents tonight", incidents_tonight, 14,
                       roles=frozenset({Role.OUT_OF_HOURS}))

"""Today sections for incidents and safeguarding: "MARAC referrals due" (key workers and seniors:
their residents, or the unit's), and for seniors "Incidents in the last 24 hours" (the unit). A row
opens the resident on the tab where it is dealt with."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from keyworker.clock import format_datetime, local_today
from keyworker.incidents import IncidentFilter
from keyworker.security.permissions import Permission
from ui.today import MINE, TodayItem, register_today_section


def marac_due(book: Any, scope: str = MINE) -> list[TodayItem]:
    return [TodayItem(f"{m.resident_name} ({m.reference}) — make a MARAC referral: {m.grounds_text}",
                      m.resident_id, tab="safeguarding") for m in book.safeguarding.marac_due(scope)]


def incidents_last_day(book: Any) -> list[TodayItem]:
    since = book.clock.now() - timedelta(hours=24)
    rows = book.incidents.unit(IncidentFilter(date_from=local_today(book.clock) - timedelta(days=1)))
    flags = lambda x: "".join((" · police" if x.police_involved else "",  # noqa: E731
                               " · safeguarding referral" if x.safeguarding_referral else ""))
    return [TodayItem(f"{format_datetime(x.occurred_at)} — {x.kind_label}: {x.resident_name} "
                      f"({x.resident_reference}){flags(x)}", x.resident_id, tab="incidents")
            for x in rows if x.occurred_at >= since]


register_today_section("marac_due", "MARAC referrals due", marac_due, 25, permission=Permission.RECORD_SAFEGUARDING)
register_today_section("incidents_24h", "Incidents in the last 24 hours", incidents_last_day, 26,
                       permission=Permission.VIEW_UNIT_INCIDENTS)

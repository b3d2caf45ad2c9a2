"""Registrations of the TOP screens (issue 14, part O2): the Today section "TOPs due" (key workers
their residents, seniors the unit, with the page's Mine/Unit switch) and the record header's
"TOP overdue" alert. The TOP page itself (ui/outcomes/top_section.py `TopSection`) is added to part
O1's Outcomes tab by the integrator."""
from __future__ import annotations

from typing import Any

from keyworker.clock import format_date
from keyworker.security.permissions import Permission
from ui.resident.tabs import HeaderItem, register_header_item
from ui.today import MINE, TodayItem, register_today_section


def tops_due(book: Any, scope: str = MINE) -> list[TodayItem]:
    """Overdue TOPs and those due within a week, soonest first."""
    return [TodayItem(f"{r.resident_name} ({r.reference}) — {r.label}", r.resident_id, r.due_on, r.overdue,
                      tab="outcomes")
            for r in book.top.unit_due(scope)]


def header(book: Any, resident_id: str) -> list[HeaderItem]:
    if not book.actor.can(Permission.VIEW_RESIDENTS):
        return []
    return [HeaderItem(f"{r.label} overdue", "warning", "⚠", tooltip=f"It was due by {format_date(r.due_on)}.")
            for r in book.top.overdue(resident_id)]


register_today_section("tops_due", "TOPs due", tops_due, 34, permission=Permission.RECORD_KEY_WORK)
register_header_item("top", header, 55)

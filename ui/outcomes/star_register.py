"""Registrations of the Outcome Star on Today and the record header (issue 14, part Q2): the Today
section "Outcome Star due" (key workers their residents, seniors Mine/Unit with the page's switch,
as "TOPs due" does), built on `book.outcome_star.unit_due(scope)`; and the header's alert when the
stay's admission reading is missing or a reading is overdue (`book.outcome_star.alerts`)."""
from __future__ import annotations

from typing import Any

from keyworker.clock import format_date
from keyworker.security.permissions import Permission
from ui.resident.tabs import HeaderItem, register_header_item
from ui.today import MINE, TodayItem, register_today_section


def star_due(book: Any, scope: str = MINE) -> list[TodayItem]:
    """Admission readings missing, readings overdue or due within a week, and discharge
    readings still to take, soonest first; each row opens the record on the Outcomes tab."""
    return [TodayItem(f"{r.resident_name} ({r.reference}) — {_what(r)}", r.resident_id, r.due_on, r.overdue,
                      tab="outcomes")
            for r in book.outcome_star.unit_due(scope)]


def _what(r: Any) -> str:
    """The row's words; the page adds "due <date>" or "overdue since <date>"."""
    if r.kind == "review" and r.last_taken_on is not None:
        return f"Star reading (the last on {format_date(r.last_taken_on)})"
    return r.label


def header(book: Any, resident_id: str) -> list[HeaderItem]:
    if not book.actor.can(Permission.VIEW_RESIDENTS):
        return []
    out = []
    for r in book.outcome_star.alerts(resident_id):
        if r.kind == "admission":
            tip = (f"It should have been taken by {format_date(r.due_on)}, in the first 4 weeks." if r.overdue
                   else f"Take it in the first 4 weeks of the stay, by {format_date(r.due_on)}.")
            out.append(HeaderItem("Admission Star reading missing", "warning", "⚠", tooltip=tip))
        else:
            last = f"The last was on {format_date(r.last_taken_on)}; " if r.last_taken_on else ""
            out.append(HeaderItem(f"{r.label} overdue", "warning", "⚠",
                                  tooltip=f"{last}it was due by {format_date(r.due_on)}."))
    return out


register_today_section("star_due", "Outcome Star due", star_due, 35, permission=Permission.RECORD_KEY_WORK)
register_header_item("outcome_star", header, 56)

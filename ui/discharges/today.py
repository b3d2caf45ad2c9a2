"""Today sections for discharges (issue 13): "Discharge summaries due" with the 24-hour countdown
(everyone who logs discharges; overdue ones marked) and, for seniors, "Discharges awaiting senior
confirmation". A row opens the resident's record. The record's header says the same for its
resident (ui/discharges/__init__.py)."""
from __future__ import annotations

from typing import Any

from keyworker.clock import format_datetime
from keyworker.security.permissions import Permission
from ui.today import TodayItem, register_today_section


def span_text(seconds: float, *, whole_hours_short: bool = False) -> str:
    """How long, in words a countdown reads at a glance: "45 min", "3 h 05 min" (or "2 h" with
    `whole_hours_short`), and beyond two days "9 days" — hours by the thousand say nothing."""
    minutes = int(abs(seconds)) // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes >= 48 * 60:
        days = minutes // (24 * 60)
        return f"{days} days"
    h, m = divmod(minutes, 60)
    return f"{h} h" if m == 0 and whole_hours_short else f"{h} h {m:02d} min"


def countdown(row: Any, now: Any) -> str:
    """"due by 06/01/2026 02:30 (in 3 h 10 min)" or "(overdue by 2 h 00 min)", in UK time."""
    seconds = int((row.summary_due_at - now).total_seconds())
    span = span_text(seconds)
    return f"due by {format_datetime(row.summary_due_at)} " + (f"(overdue by {span})" if seconds < 0 else
                                                                f"(in {span})")


def summaries_due(book: Any) -> list[TodayItem]:
    now = book.clock.now()
    return [TodayItem(f"{r.resident_name} ({r.reference}) — {r.type_label}: complete discharge summary "
                      f"{countdown(r, now)}", r.resident_id, overdue=r.summary_overdue)
            for r in book.discharges.due_summaries()]


def awaiting_senior(book: Any) -> list[TodayItem]:
    return [TodayItem(f"{r.resident_name} ({r.reference}) — {r.type_label} on {format_datetime(r.occurred_at)}: "
                      "awaiting senior confirmation", r.resident_id)
            for r in book.discharges.awaiting_senior()]


register_today_section("discharge_summaries_due", "Discharge summaries due (24 hours)", summaries_due, 12,
                       permission=Permission.RECORD_UNPLANNED_DISCHARGE)
register_today_section("discharges_awaiting_senior", "Discharges awaiting senior confirmation", awaiting_senior, 13,
                       permission=Permission.CONFIRM_DISCHARGES)


# -- follow-ups after a completed programme (4.1.8): overdue and due this week ---------------------
FOLLOW_UPS_TODAY_DAYS = 7


def follow_ups_due(book: Any, scope: str) -> list[TodayItem]:
    """The 3- and 6-month follow-ups overdue or due within a week: a key worker's own former
    residents, or the whole unit when a senior switches Today to it. A row opens the Discharge tab."""
    return [TodayItem(f"{r.resident_name} ({r.reference}) — {r.label}"
                      + (f" · key worker {r.key_worker_name}" if scope != "mine" and r.key_worker_name else ""),
                      r.resident_id, due=r.due_on, overdue=r.overdue, tab="discharge")
            for r in book.follow_ups.due(include_future_days=FOLLOW_UPS_TODAY_DAYS, scope=scope)]


register_today_section("follow_ups_due", "Follow-ups due", follow_ups_due, 14,
                       permission=Permission.RECORD_KEY_WORK)

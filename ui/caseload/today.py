"""Today for out-of-hours (night) staff: the residents in the unit now, each with what to know
about them (the caseload's flags, part-time attendance, a stay past its planned end). A row
opens the resident's record. Longer lists end with a row that opens the Caseload."""
from __future__ import annotations

from typing import Any

from keyworker.caseload_query import CaseloadRow
from keyworker.security.permissions import Role
from ui.first_steps import show_page
from ui.today import TodayItem, register_today_section

LIMIT = 200  # a unit has tens of residents; beyond this the Caseload page is the place


def alerts(row: CaseloadRow) -> list[str]:
    # A night worker reads high risk first: the Risk tab has the contingency plan to act on.
    out = ["High risk"] if row.risk_level == "High" else []
    out += [f.text for f in row.flags]
    if row.part_time:
        out.append("Part-time attendance")
    if row.week is not None and row.planned_weeks is not None and row.week > row.planned_weeks:
        out.append("Past the planned end")
    return out


def residents_now(book: Any) -> list[TodayItem]:
    ids = book.caseload.ids(book.caseload.filter())
    items = []
    for row in book.caseload.rows(ids[:LIMIT]):
        parts = [f"{row.name} ({row.reference})", row.week_text, f"key worker {row.key_worker}" if row.key_worker else ""]
        said = alerts(row)
        text = " · ".join(p for p in parts if p) + (f" — ⚠ {', '.join(said)}" if said else "")
        items.append(TodayItem(text, row.resident_id))
    if len(ids) > LIMIT:
        items.append(TodayItem(f"… and {len(ids) - LIMIT} more: open the Caseload to search them",
                               open=lambda ctx, _parent: show_page(ctx, "caseload")))
    return items


register_today_section("residents_now", "Residents in the unit", residents_now, 15,
                       roles=frozenset({Role.OUT_OF_HOURS}))

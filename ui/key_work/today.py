"""Today section "Key work": follow-up actions from sessions due this week or up to two weeks late,
the key worker's residents (or, for a senior, the unit's). A row opens the resident's Key work tab."""
from __future__ import annotations

from typing import Any

from keyworker.security.permissions import Permission
from ui.today import MINE, TodayItem, register_today_section


def follow_ups(book: Any, scope: str = MINE) -> list[TodayItem]:
    # The page adds "due dd/mm/yyyy" or "overdue since dd/mm/yyyy" (ui.today.item_label).
    return [TodayItem(f"{d.name} ({d.reference}) — {d.what} ({d.who})", d.resident_id, d.by_when, d.overdue,
                      tab="key_work")
            for d in book.key_work.follow_ups_due(scope)]


register_today_section("key_work_follow_ups", "Key work: follow-up actions due", follow_ups, 45,
                       permission=Permission.RECORD_KEY_WORK)

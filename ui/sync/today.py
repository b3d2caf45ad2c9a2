"""Today's "Conflicts waiting": a key worker's on their own residents, a senior's on theirs or the
whole unit (the page's Mine/Unit switch), each row opening it on Sync conflicts."""
from __future__ import annotations

from typing import Any

from keyworker.security.permissions import Permission
from ui.today import MINE, TodayItem, register_today_section


def conflicts_waiting(book: Any, scope: str = MINE) -> list[TodayItem]:
    items = []
    for c in book.sync.conflicts(mine_only=scope == MINE):
        who = f"{c.resident_name} ({c.reference})" if c.reference else c.resident_name
        if c.kind == "field":
            text = f"{who} — {c.what}: “{c.sides[0].value}” or “{c.sides[1].value}”"
        else:
            text = f"{who} — {c.what}"

        def open_it(ctx: Any, _parent: Any, cid: str = c.id) -> None:
            from ui.sync.conflicts import open_conflicts

            open_conflicts(ctx, cid)

        items.append(TodayItem(text, open=open_it))
    return items


def register_sections() -> None:
    register_today_section("sync_conflicts", "Conflicts waiting", conflicts_waiting, 12,
                           permission=Permission.RESOLVE_SYNC_CONFLICTS)

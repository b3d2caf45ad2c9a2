"""Today's "Conflicts waiting": a key worker's on their own residents, a senior's on theirs or the
whole unit (the page's Mine/Unit switch), each row opening it on Sync conflicts. The
administrator's "Laptops not synced for 7 days", from the list Administration → Laptops last
read from the hub, each row opening that tab."""
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


def laptops_not_synced(book: Any) -> list[TodayItem]:
    """The administrator's: laptops the hub last saw 7 or more days ago, as Administration → Laptops
    last listed them (Today never waits on the network)."""
    from keyworker.clock import format_date, format_datetime

    if not book.sync.status().enrolled:
        return []
    asked, laptops = book.sync.laptops_not_synced()

    def open_laptops(ctx: Any, _parent: Any) -> None:
        window = ctx.main_window
        page = window.go_to("admin") if window is not None and hasattr(window, "go_to") else None
        tab = getattr(page, "laptops_tab", None)
        if tab is not None:
            page.tabs.setCurrentWidget(tab)

    items = []
    for lp in laptops:
        since = format_date(lp.last_seen_at) if lp.last_seen_at else "it was enrolled"
        items.append(TodayItem(f"{lp.name} — not synced since {since} ({lp.not_synced_for_days} days; "
                               f"as the hub said {format_datetime(asked)})", open=open_laptops))
    return items


def register_sections() -> None:
    register_today_section("sync_conflicts", "Conflicts waiting", conflicts_waiting, 12,
                           permission=Permission.RESOLVE_SYNC_CONFLICTS)
    register_today_section("sync_laptops", "Laptops not synced for 7 days", laptops_not_synced, 90,
                           permission=Permission.MANAGE_LAPTOPS)

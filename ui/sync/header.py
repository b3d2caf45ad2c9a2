"""The resident record's flag: "⚠ 2 conflicts waiting" in the header while values, versions or a
probable duplicate of this resident wait for a choice (of those the signed-in user may make).
Clicking it opens Sync conflicts on this resident."""
from __future__ import annotations

from typing import Any

from ui.resident.tabs import HeaderItem


def conflict_flag(book: Any, resident_id: str) -> HeaderItem | None:
    n = book.sync.conflict_count_for(resident_id)
    if not n:
        return None

    def open_it(ctx: Any, window: Any) -> None:
        from ui.sync.conflicts import open_conflicts

        record = getattr(window, "record", None)
        open_conflicts(ctx, None, getattr(record, "reference", None))

    return HeaderItem(f"{n} sync conflict{'s' if n != 1 else ''} waiting", "warning",
                      tooltip="Two laptops changed this record differently. Click to see both and choose.",
                      open=open_it)

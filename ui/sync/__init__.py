"""The sync screens of issue 17 (docs/SYNC.md, "The screens"), one per file:

- status_line.py: the status bar's "Synced 2 min ago" / "Offline since 21:40" / "3 conflicts waiting";
- conflicts.py (+ merge_dialog.py): the Sync conflicts page;
- header.py: the record's "conflicts waiting" flag;
- today.py: Today's "Conflicts waiting";
- banner.py: "As of last sync HH:MM" on the medication, risk and unplanned discharge screens;
- laptops.py: Administration → Laptops.
Importing `ui.sync` registers the page, the Today section and the header item."""
from __future__ import annotations


def register() -> None:
    from ui.main_window import register_page
    from ui.resident.tabs import register_header_item
    from ui.sync.conflicts import ConflictsPage
    from ui.sync.header import conflict_flag
    from ui.sync.today import register_sections

    register_page("sync_conflicts", "Sync conflicts", ConflictsPage, 65)
    register_header_item("sync", conflict_flag, 8)
    register_sections()


register()

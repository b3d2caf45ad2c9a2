"""The resident's Notes tab (timeline of notes, contacts, sessions, incidents), the note and
contact dialogs, the Handover page and its Today sections. Importing registers them."""
from __future__ import annotations


def _register() -> None:
    from keyworker.security.permissions import Permission
    from ui.main_window import PAGE_PERMISSIONS, register_page
    from ui.notes.handover import HandoverPage
    from ui.notes.tab import NotesTab
    from ui.resident.tabs import register_resident_tab

    register_resident_tab("notes", "Notes", NotesTab, 15)
    PAGE_PERMISSIONS["handover"] = Permission.VIEW_RESIDENTS
    # Not at 15: Ctrl+2 stays the Caseload (README, muscle memory), and the pages still to come
    # (discharges, outbox) keep their places; nights see the handover first thing on Today anyway.
    # Only seniors have Reports (70): for key workers and nights it follows Reviews due.
    register_page("handover", "Handover", HandoverPage, 42)  # after Reviews due: Ctrl+1..4 keep their pages
    import ui.notes.today  # noqa: F401 - registers the handover sections on Today


_register()

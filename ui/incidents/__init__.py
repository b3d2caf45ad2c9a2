"""The incidents and safeguarding screens (issue 10): the resident's Incidents and Safeguarding
tabs, the "Log incident" dialog (also Ctrl+Shift+I in the record window), the domestic abuse
checklist and referral dialogs, the unit's Incidents page for seniors, and the Today sections.
Importing `ui.incidents` registers them all."""
from __future__ import annotations


def _register() -> None:
    from keyworker.security.permissions import Permission
    from ui.incidents.page import UnitIncidentsPage
    from ui.main_window import register_page
    from ui.incidents.safeguarding_tab import SafeguardingTab
    from ui.incidents.tab import IncidentsTab, log_from_window
    from ui.resident.tabs import register_resident_action, register_resident_tab

    register_resident_tab("incidents", "Incidents", IncidentsTab, 45)
    register_resident_tab("safeguarding", "Safeguarding", SafeguardingTab, 50)
    register_resident_action("log_incident", "&Log incident…", "Ctrl+Shift+I", log_from_window,
                             Permission.RECORD_INCIDENTS, "Log an incident for this resident")
    register_page("incidents", "Incidents", UnitIncidentsPage, 45)
    import ui.incidents.today  # noqa: F401 - registers "MARAC referrals due" and "Incidents in the last 24 hours"


_register()

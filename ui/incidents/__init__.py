"""The incidents and safeguarding screens (issue 10): the resident's Incidents and Safeguarding
tabs, the "Log incident" dialog (also Ctrl+Shift+I in the record window), the domestic abuse
checklist and referral dialogs, the unit's Incidents page for seniors, and the Today sections.
Importing `ui.incidents` registers them all."""
from __future__ import annotations


def _register() -> None:
    from keyworker.security.permissions import Permission
    from ui.incidents.tab import IncidentsTab, log_from_window
    from ui.resident.tabs import register_resident_action, register_resident_tab

    register_resident_tab("incidents", "Incidents", IncidentsTab, 45)
    register_resident_action("log_incident", "&Log incident…", "Ctrl+Shift+I", log_from_window,
                             Permission.RECORD_INCIDENTS, "Log an incident for this resident")


_register()

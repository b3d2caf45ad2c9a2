"""The resident record window and its built-in tabs. Importing registers Overview, Medication,
Documents and History; other areas register theirs with `ui.resident.tabs.register_resident_tab`
(Care plan 20, Reviews 30, Risk 40, Outcomes 50, Discharge 70)."""
from __future__ import annotations


def _register() -> None:
    from ui.resident.documents import DocumentsTab
    from ui.resident.history import HistoryTab
    from ui.resident.medication import MedicationTab
    from ui.resident.overview import OverviewTab
    from ui.resident.tabs import register_resident_tab

    register_resident_tab("overview", "Overview", OverviewTab, 10)
    register_resident_tab("medication", "Medication", MedicationTab, 60)
    register_resident_tab("documents", "Documents", DocumentsTab, 80)
    register_resident_tab("history", "History", HistoryTab, 90)


_register()

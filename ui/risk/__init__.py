"""The risk area of the UI (issue 10): the resident's Risk tab, the assessment form, its versions,
the header's risk level and Today's sections. Importing `ui.risk` registers them all."""
from __future__ import annotations


def register() -> None:
    """(Re)register the tab, the header item and the Today sections (tests that replace them call it)."""
    from ui.resident.tabs import register_header_item, register_resident_tab
    from ui.risk.header import risk_items
    from ui.risk.tab import RiskTab
    from ui.risk.today import register_sections

    register_sections()
    register_resident_tab("risk", "Risk", RiskTab, 40)
    register_header_item("risk", risk_items, 5)


register()

"""The care plan area of the UI: the resident's "Care plan" tab (editor, goals, completeness,
agreement, versions) and the Today section for incomplete plans. Importing registers them."""
from __future__ import annotations


def _register() -> None:
    from ui.care_plans.editor import CarePlanTab
    from ui.resident.tabs import register_resident_tab

    register_resident_tab("care_plan", "Care plan", CarePlanTab, 20)
    import ui.care_plans.today  # noqa: F401 - registers "Care plans incomplete" on Today


_register()

"""The discharge screens (issue 13). So far: the unplanned-discharge dialog, reached from the
resident's record (Ctrl+Shift+U) and from the caseload; the record header's countdown to the
complete summary; the resident's Discharge tab with the live notification checklist; the
Today sections. Importing `ui.discharges` registers the
record window's action."""
from __future__ import annotations


def _register() -> None:
    from keyworker.security.permissions import Permission
    from ui.discharges.unplanned import SHORTCUT, from_window
    from ui.discharges.today import countdown
    from ui.discharges.tab import DischargeTab
    from ui.resident.tabs import HeaderItem, register_header_item, register_resident_action, register_resident_tab

    def header(book: object, resident_id: str) -> list[HeaderItem]:
        """The record's countdown to the complete summary, and a discharge still awaiting a senior."""
        if not book.actor.can(Permission.VIEW_RESIDENTS):  # type: ignore[attr-defined]
            return []
        now = book.clock.now()  # type: ignore[attr-defined]
        items = [HeaderItem(f"Discharge summary {countdown(r, now)}", "danger" if r.summary_overdue else "warning",
                            "⚠")
                 for r in book.discharges.due_summaries(resident_id)]  # type: ignore[attr-defined]
        flag = book.discharges.placement_risk(resident_id)  # type: ignore[attr-defined]
        if flag is not None:
            items.append(HeaderItem("Placement at risk", "warning", "▲", tooltip=flag.reason))
        items += [HeaderItem("Discharge awaiting senior confirmation", "warning", "!")
                  for r in book.discharges.awaiting_senior(resident_id)]  # type: ignore[attr-defined]
        return items

    register_resident_action("unplanned_discharge", "&Unplanned discharge…", SHORTCUT, from_window,
                             Permission.RECORD_UNPLANNED_DISCHARGE,
                             "Record an unplanned discharge or a freeze of treatment")
    from ui.discharges import planned

    register_resident_action("planned_discharge", "&Plan discharge…", planned.SHORTCUT, planned.from_window,
                             Permission.VIEW_RESIDENTS, "The discharge planning meeting, aftercare and the letter")
    register_resident_tab("discharge", "Discharge", DischargeTab, 70)
    register_header_item("discharges", header, 30)
    import ui.discharges.today  # noqa: F401 - registers the Today sections
    import ui.discharges.page  # noqa: F401 - registers the Discharges & follow-ups page


_register()

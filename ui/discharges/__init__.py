"""The discharge screens (issue 13). So far: the unplanned-discharge dialog, reached from the
resident's record (Ctrl+Shift+U) and from the caseload. Importing `ui.discharges` registers the
record window's action."""
from __future__ import annotations


def _register() -> None:
    from keyworker.security.permissions import Permission
    from ui.discharges.unplanned import SHORTCUT, from_window
    from ui.resident.tabs import register_resident_action

    register_resident_action("unplanned_discharge", "&Unplanned discharge…", SHORTCUT, from_window,
                             Permission.RECORD_UNPLANNED_DISCHARGE,
                             "Record an unplanned discharge or a freeze of treatment")


_register()

"""Shared form helpers: UK dates, "Prefer not to say"-aware choices, fields with their own
error messages, validation wiring and the base data-entry dialog."""
from __future__ import annotations

from ui.forms.binder import ErrorLabel, FieldBox, FormBinder
from ui.forms.dialog import BusyBar, FormDialog, LockCover, Unsaved, align_forms, ask_unsaved
from ui.forms.widgets import (
    NOT_RECORDED,
    PREFER_NOT_TO_SAY,
    ChoiceCombo,
    EditableChoice,
    OptionalDateEdit,
    UkDateEdit,
    UkDateTimeEdit,
    from_qdate,
    to_qdate,
)

__all__ = ["ErrorLabel", "FieldBox", "FormBinder", "BusyBar", "FormDialog", "LockCover", "Unsaved", "ask_unsaved", "align_forms",
           "NOT_RECORDED", "PREFER_NOT_TO_SAY", "ChoiceCombo", "EditableChoice", "OptionalDateEdit", "UkDateEdit",
           "UkDateTimeEdit", "from_qdate", "to_qdate"]

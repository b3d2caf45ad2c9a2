"""The small dialogs of a 3- or 6-month follow-up (issue 13, 4.1.8), opened from the Discharges &
follow-ups page: `AttemptDialog` records one try at reaching the person (how, when, reached or not,
what happened); `OutcomeDialog` closes the follow-up (done with how they are, not contactable after
at least one try, or declined). Both save through `book.follow_ups` off the UI thread."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QPlainTextEdit, QWidget

from keyworker.clock import LONDON, format_date, local_today
from keyworker.follow_ups import CLOSING_STATUSES, METHODS, OUTCOMES
from ui.context import AppContext
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit, UkDateTimeEdit


def _box(name: str, placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(f"field_{name}")
    box.setTabChangesFocus(True)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(80)
    return box


def _heading(row: Any) -> QLabel:
    """Whose follow-up, which one and when it is due: the first line of either dialog."""
    label = QLabel(f"{row.resident_name} ({row.reference}) — {row.label}, due {format_date(row.due_on)}. "
                   f"Tries so far: {row.attempts}.")
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class AttemptDialog(FormDialog):
    save_text = "&Record"
    data_area = "follow_ups"
    min_width = 520

    def __init__(self, parent: QWidget | None, ctx: AppContext, row: Any) -> None:
        super().__init__(parent, ctx, f"Record a try at reaching {row.resident_name}")
        self.setObjectName("followUpAttemptDialog")
        self.follow_up_id = row.id
        now = ctx.book.clock.now().astimezone(LONDON).replace(second=0, microsecond=0)
        self.content_layout.addWidget(_heading(row))
        b = self.binder
        form = QFormLayout()
        self.method = ChoiceCombo([(o.code, o.label) for o in METHODS], blank="How did you try?")
        b.row(form, "method", "How", self.method, required=True)
        self.at = UkDateTimeEdit(now)
        b.row(form, "at", "When", self.at, required=True)
        self.reached = QCheckBox("&Reached them")
        self.reached.setAccessibleName("Reached them")
        b.row(form, "reached", "", self.reached)
        self.note = _box("note", "e.g. No answer; left a voicemail asking them to call back")
        b.row(form, "note", "What happened", self.note)
        self.content_layout.addLayout(form)
        self.finish_setup()

    def changed_areas(self) -> tuple[str, ...]:
        return ("follow_ups", "discharges")  # the page and the resident's Discharge tab

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        return {} if values.get("method") else {"method": "Choose how you tried."}

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, fid = self.ctx.book, self.follow_up_id
        return lambda: book.follow_ups.record_attempt(fid, values["method"], values["at"], bool(values["reached"]),
                                                      values.get("note"))


class OutcomeDialog(FormDialog):
    save_text = "&Record"
    data_area = "follow_ups"
    min_width = 520

    def __init__(self, parent: QWidget | None, ctx: AppContext, row: Any) -> None:
        super().__init__(parent, ctx, f"Record the follow-up of {row.resident_name}")
        self.setObjectName("followUpOutcomeDialog")
        self.follow_up_id = row.id
        self.attempts = int(row.attempts)
        self.content_layout.addWidget(_heading(row))
        b = self.binder
        form = QFormLayout()
        self.status_choice = ChoiceCombo([(o.code, o.label) for o in CLOSING_STATUSES], blank="Choose…")
        b.row(form, "status", "Status at follow-up", self.status_choice, required=True)
        self.outcome = ChoiceCombo([(o.code, o.label) for o in OUTCOMES], blank="Choose…")
        self.outcome.setAccessibleName("How they are")
        b.row(form, "outcome", "How they are", self.outcome)
        self.on = UkDateEdit(local_today(ctx.book.clock))
        b.row(form, "completed_on", "Date", self.on, required=True)
        self.note = _box("note", "e.g. Attending mutual aid twice a week; working again")
        b.row(form, "note", "Note", self.note)
        self.content_layout.addLayout(form)
        self.status_choice.value_changed.connect(self._status_changed)
        self._status_changed()
        self.finish_setup()

    def _status_changed(self) -> None:
        done = self.status_choice.value() == "done"
        self.outcome.setEnabled(done)
        if not done:
            self.outcome.set_value(None)

    def changed_areas(self) -> tuple[str, ...]:
        return ("follow_ups", "discharges")

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        errors: dict[str, str] = {}
        status = values.get("status")
        if not status:
            errors["status"] = "Choose what came of the follow-up."
        elif status == "done" and not values.get("outcome"):
            errors["outcome"] = "Say how they are: abstinent, reduced use or relapsed."
        elif status == "not_contactable" and self.attempts == 0:
            errors["status"] = "Record at least one try at reaching them first (Record a try…)."
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        book, fid = self.ctx.book, self.follow_up_id
        return lambda: book.follow_ups.record_outcome(fid, values["status"], values.get("outcome"),
                                                      values.get("note"), values["completed_on"])


__all__ = ["AttemptDialog", "OutcomeDialog"]

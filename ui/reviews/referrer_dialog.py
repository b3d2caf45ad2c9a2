"""Putting right a mid-way or pre-discharge meeting recorded without the referrer invited (contract
4.1.5.7): either they had been invited after all (it was not recorded), or they have been told the
outcome since. Once recorded, the review's flag and its Today entry go."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, local_today
from keyworker.reviews import FOLLOWUP_ACTIONS, INVITATION_METHODS, ReferrerFollowUp, ReviewView
from ui.context import AppContext
from ui.forms import FormDialog, UkDateEdit, to_qdate


class ActionChoice(QWidget):
    """The two ways of putting it right, as radio buttons (both always in view)."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key, label in FOLLOWUP_ACTIONS.items():
            b = QRadioButton(label)
            b.setAccessibleName(label)
            self.group.addButton(b)
            self.buttons[key] = b
            lay.addWidget(b)
        self.buttons["informed"].setChecked(True)
        self.group.buttonToggled.connect(self._toggled)

    def _toggled(self, _button: QRadioButton, on: bool) -> None:
        if on:
            self.value_changed.emit()

    def value(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())

    def set_value(self, value: str) -> None:
        self.buttons.get(value, self.buttons["informed"]).setChecked(True)


class ReferrerFollowUpDialog(FormDialog):
    save_text = "&Record and clear the flag"
    data_area = "reviews"

    def __init__(self, parent: QWidget | None, ctx: AppContext, review: ReviewView, referrer_name: str = "") -> None:
        what = review.kind_label.lower()
        super().__init__(parent, ctx, f"The referrer and the {what} of {format_date(review.held_on)}")
        self.setObjectName("referrerFollowUpDialog")
        self.review = review
        self.today = local_today(ctx.book.clock)
        b = self.binder
        intro = QLabel(f"The referrer{f' ({referrer_name})' if referrer_name else ''} was not recorded as invited "
                       f"to this {what}. Record what was done: the flag on the review and on Today then goes.")
        intro.setWordWrap(True)
        self.content_layout.addWidget(intro)
        form = QFormLayout()
        self.action = ActionChoice()
        b.row(form, "action", "What was done", self.action)
        self.date_done = UkDateEdit(self.today)
        self.date_done.setMaximumDate(to_qdate(self.today))
        b.row(form, "date_done", "When", self.date_done, required=True,
              hint="When they were invited (by the meeting) or told (since it).")
        self.method = QComboBox()
        self.method.setAccessibleName("How")
        for m in INVITATION_METHODS:
            self.method.addItem(m[:1].upper() + m[1:], m)
        self.method.setCurrentIndex(max(0, self.method.findData("email")))
        b.row(form, "method", "How", self.method)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(70)
        self.note.setPlaceholderText("e.g. Sent the review notes and the next date")
        b.row(form, "note", "Note", self.note)
        self.content_layout.addLayout(form)
        self.action.value_changed.connect(self._action_changed)
        self.finish_setup()

    def first_focus(self) -> QWidget | None:
        return self.action.buttons["informed"]

    def _action_changed(self) -> None:
        # An invitation goes out before the meeting: move today's date back to the meeting's.
        held = self.review.held_on
        if self.action.value() == "invited" and (self.date_done.value() or held) > held:
            self.date_done.set_value(held)
        self.binder.revalidate()

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        on, held = values.get("date_done"), self.review.held_on
        if on is None:
            return None
        if values.get("action") == "invited" and on > held:
            return {"date_done": f"An invitation goes out by the meeting ({format_date(held)}): choose a date "
                                 "on or before it, or “told the outcome since”."}
        if values.get("action") == "informed" and on < held:
            return {"date_done": f"They are told the outcome after the meeting ({format_date(held)})."}
        return None

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = ReferrerFollowUp(self.review.id, values["action"], values["date_done"],
                                self.method.currentData() or "email", values["note"] or "")
        reviews = self.ctx.book.reviews
        return lambda: reviews.put_right_referrer(data)

"""The domestic abuse risk checklist dialog: 24 questions (our short labels, or the unit's licensed
wording), each answered Yes / No / Not known by keyboard (Y, N or K answers and moves on; arrow keys
move within a question; Tab to the next), a live count of "yes" and the level it gives, professional
judgement that may only raise it (a visible high risk offers nothing lower), notes and the date."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from keyworker import da_checklist as da
from keyworker.clock import local_today
from keyworker.safeguarding import ChecklistInput, validate_checklist
from ui.context import AppContext
from ui.forms import ChoiceCombo, FormDialog, UkDateEdit, to_qdate
from ui.incidents.words import level_words

KEYS = {Qt.Key.Key_Y: da.YES, Qt.Key.Key_N: da.NO, Qt.Key.Key_K: da.NOT_KNOWN}


class ChecklistAnswers(QWidget):
    """One row per question: its number and words, then Yes / No / Not known. `value()` is
    {question: answer} for the questions answered so far."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklistAnswers")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(0, 1)
        self.buttons: dict[int, dict[str, QRadioButton]] = {}
        self.groups: dict[int, QButtonGroup] = {}
        for n in da.QUESTIONS:
            text = da.question_text(n)
            label = QLabel(f"{n}. {text}")
            label.setWordWrap(True)
            grid.addWidget(label, n - 1, 0)
            row = QWidget()  # its own parent: the three buttons are one exclusive group for the arrow keys
            row.setObjectName(f"question_{n}")
            rl = QGridLayout(row)
            rl.setContentsMargins(0, 0, 0, 0)
            group = QButtonGroup(self)
            self.buttons[n] = {}
            for i, (code, words) in enumerate(da.ANSWERS.items()):
                b = QRadioButton(words)
                b.setAccessibleName(f"Question {n}, {text}: {words}")
                b.setToolTip(f"{words} (press {words[0] if code != da.NOT_KNOWN else 'K'})")
                b.installEventFilter(self)
                group.addButton(b)
                rl.addWidget(b, 0, i)
                self.buttons[n][code] = b
            group.buttonToggled.connect(lambda _b, on: self.value_changed.emit() if on else None)
            self.groups[n] = group
            label.setBuddy(self.buttons[n][da.YES])
            grid.addWidget(row, n - 1, 1)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            answer = KEYS.get(Qt.Key(event.key()))
            if answer is not None:
                n = next(q for q, bs in self.buttons.items() if obj in bs.values())
                self.buttons[n][answer].setChecked(True)
                self.focus_question(n + 1 if n < da.QUESTION_COUNT else n)
                return True
        return False

    def focus_question(self, n: int) -> None:
        bs = self.buttons[n]
        target = next((b for b in bs.values() if b.isChecked()), bs[da.YES])
        target.setFocus(Qt.FocusReason.TabFocusReason)

    def value(self) -> dict[int, str]:
        return {n: code for n, bs in self.buttons.items() for code, b in bs.items() if b.isChecked()}

    def set_value(self, value: dict[int, str] | None) -> None:
        for n, code in (value or {}).items():
            if n in self.buttons and code in self.buttons[n]:
                self.buttons[n][code].setChecked(True)

    def yes_count(self) -> int:
        return sum(1 for a in self.value().values() if a == da.YES)


class ChecklistDialog(FormDialog):
    save_text = "&Save checklist"
    data_area = "safeguarding"
    min_width = 760

    def __init__(self, parent: QWidget | None, ctx: AppContext, resident_id: str) -> None:
        super().__init__(parent, ctx, "Domestic abuse risk checklist")
        self.setObjectName("checklistDialog")
        self.resident_id = resident_id
        self.today = local_today(ctx.book.clock)
        b = self.binder
        intro = QLabel("Answer every question with the person: Yes, No or Not known. Keys: Y, N or K answers "
                       "and moves to the next question. 14 or more “yes” is a visible high risk and needs a "
                       "MARAC referral; 10 to 13 is medium.")
        intro.setWordWrap(True)
        self.content_layout.addWidget(intro)
        self.answers = ChecklistAnswers()
        box = b.add("answers", self.answers, "Answers")
        self.content_layout.addWidget(box)
        self.result = QLabel()
        self.result.setObjectName("checklistResult")
        self.result.setWordWrap(True)
        bold = self.result.font()
        bold.setBold(True)
        self.result.setFont(bold)
        form = QFormLayout()
        self.judgement = ChoiceCombo([], blank="No change: the answers decide")
        b.row(form, "judgement_level", "Professional judgement", self.judgement,
              hint="Raise the level if what you know shows more risk than the answers. It is never lowered.")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(60)
        self.reason.setPlaceholderText("Why the level is raised")
        b.row(form, "judgement_reason", "Reason for the level", self.reason)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(60)
        b.row(form, "notes", "Notes", self.notes)
        self.completed = UkDateEdit(self.today)
        self.completed.setMaximumDate(to_qdate(self.today))
        b.row(form, "completed_on", "Completed on", self.completed, required=True)
        self.content_layout.addLayout(form)
        outer = self.layout()  # the count stays in view under the scrolling questions
        if isinstance(outer, QVBoxLayout):
            outer.insertWidget(outer.indexOf(self.form_error), self.result)
        self.answers.value_changed.connect(self._update_level)
        self.judgement.value_changed.connect(self._update_level)
        self._update_level()
        self.finish_setup()

    def first_focus(self) -> QWidget | None:
        return self.answers.buttons[1][da.YES]

    def visible_level(self) -> str:
        return da.level_for(self.answers.yes_count())

    def _update_level(self) -> None:
        visible = self.visible_level()
        # Only the levels above what the answers show are offered: judgement never lowers one.
        higher = [(k, f"{v} risk") for k, v in da.LEVELS.items() if da.rank(k) > da.rank(visible)]
        if self.judgement.codes() != [k for k, _ in higher]:
            chosen = self.judgement.value()
            self.judgement.blockSignals(True)
            self.judgement.set_value(None)  # (set_choices would keep a level no longer offered)
            self.judgement.set_choices(higher)
            if chosen in dict(higher):
                self.judgement.set_value(chosen)
            self.judgement.blockSignals(False)
            self.binder.revalidate()
        self.judgement.setEnabled(bool(higher))
        self.judgement.setToolTip("" if higher else "A visible high risk (14 or more “yes”) cannot be lowered.")
        level = self.judgement.value() or visible
        answered = len(self.answers.value())
        text = f"Result: {level_words(level, self.answers.yes_count(), visible)}"
        if answered < da.QUESTION_COUNT:
            text += f" — {answered} of {da.QUESTION_COUNT} answered so far"
        if level == da.HIGH:
            text = "⚠ " + text + ". A MARAC referral is needed."
        self.result.setText(text)
        self.result.setAccessibleName(text)

    def values_for_core(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "resident_id": self.resident_id}

    def validate(self, values: dict[str, Any]) -> dict[str, str] | None:
        _clean, errors = validate_checklist(self.values_for_core(values), today=self.today)
        errors.pop("resident_id", None)
        return errors

    def operation(self, values: dict[str, Any]) -> Callable[[], Any]:
        data = ChecklistInput(**self.values_for_core(values))
        sg = self.ctx.book.safeguarding
        return lambda: sg.record_checklist(data)

    def changed_areas(self) -> tuple[str, ...]:
        return ("safeguarding", "risk")

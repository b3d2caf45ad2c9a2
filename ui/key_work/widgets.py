"""Editors the key-work dialogs share: the care plan goals a session worked on (each with the
progress to add to the plan) and the follow-up actions (what, who, by when). Both are driven by
the keyboard: Tab moves through them in reading order; Space ticks a goal."""
from __future__ import annotations

from collections.abc import Sequence
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keyworker.key_work_input import FollowUp, GoalWork
from ui.forms.widgets import OptionalDateEdit


def group_box(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return box, form


def text_box(height: int = 90) -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setTabChangesFocus(True)
    t.setMinimumHeight(height)
    t.setMaximumHeight(height * 2)
    return t


class GoalsPicker(QWidget):
    """One row per goal of the resident's current plan: a tick box with the goal in the resident's
    words, and the progress to add to its notes (enabled once ticked)."""

    value_changed = Signal()

    def __init__(self, goals: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rows: list[tuple[str, QCheckBox, QLineEdit]] = []
        if not goals:
            none = QLabel("This resident's care plan has no goals yet.")
            none.setObjectName("fieldHint")
            none.setWordWrap(True)
            layout.addWidget(none)
        for gid, text in goals:
            # The goal as a wrapped label beside its tick box: a long goal must not widen the
            # dialog past a 1024 px screen (a check box's own text never wraps).
            tick = QCheckBox()
            tick.setAccessibleName(f"Worked on: {text}")
            words = QLabel(text)
            words.setWordWrap(True)
            words.setBuddy(tick)
            line = QHBoxLayout()
            line.addWidget(tick)
            line.addWidget(words, 1)
            progress = QLineEdit()
            progress.setMaxLength(4000)
            progress.setPlaceholderText("Progress to add to this goal in the care plan (optional)")
            progress.setAccessibleName(f"Progress on: {text}")
            progress.setEnabled(False)
            tick.toggled.connect(progress.setEnabled)
            tick.toggled.connect(lambda _on: self.value_changed.emit())
            progress.textChanged.connect(lambda _t: self.value_changed.emit())
            layout.addLayout(line)
            layout.addWidget(progress)
            self.rows.append((gid, tick, progress))

    def value(self) -> list[GoalWork]:
        return [GoalWork(gid, p.text().strip()) for gid, t, p in self.rows if t.isChecked()]

    def set_value(self, value: list[GoalWork] | None) -> None:
        chosen = {g.goal_id: g.progress for g in value or []}
        for gid, t, p in self.rows:
            t.setChecked(gid in chosen)
            p.setText(chosen.get(gid, ""))


class FollowUpList(QWidget):
    """Follow-up actions: rows of what / who / by when; blank rows are left out."""

    value_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, default_who: str = "") -> None:
        super().__init__(parent)
        self._default_who = default_who
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        for col, heading in enumerate(("What", "Who", "By when")):
            h = QLabel(heading)
            h.setObjectName("fieldHint")
            self.grid.addWidget(h, 0, col)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        outer.addLayout(self.grid)
        self.rows: list[tuple[QLineEdit, QLineEdit, OptionalDateEdit]] = []
        bar = QHBoxLayout()
        self.add_button = QPushButton("&Add another action")
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.add_row()

    def add_row(self, action: FollowUp | None = None, *, focus: bool = False) -> None:
        n = len(self.rows) + 1
        what, who = QLineEdit(), QLineEdit()
        what.setMaxLength(1000)
        who.setMaxLength(200)
        what.setAccessibleName(f"Follow-up action {n}: what")
        who.setAccessibleName(f"Follow-up action {n}: who")
        who.setPlaceholderText(self._default_who)
        by = OptionalDateEdit()
        by.setAccessibleName(f"Follow-up action {n}: by when")
        if action is not None:
            what.setText(action.what)
            who.setText(action.who)
            by.set_value(action.by_when)
        for w in (what, who):
            w.textChanged.connect(lambda _t: self.value_changed.emit())
        by.dateChanged.connect(lambda _d: self.value_changed.emit())
        row = len(self.rows) + 1
        self.grid.addWidget(what, row, 0)
        self.grid.addWidget(who, row, 1)
        self.grid.addWidget(by, row, 2)
        # Tab order: what, who, by when, then the next row, then "Add another action".
        if self.rows:
            QWidget.setTabOrder(self.rows[-1][2], what)
        QWidget.setTabOrder(what, who)
        QWidget.setTabOrder(who, by)
        QWidget.setTabOrder(by, self.add_button)
        self.rows.append((what, who, by))
        if focus:
            what.setFocus()

    def value(self) -> list[FollowUp]:
        out = []
        for what, who, by in self.rows:
            w = what.text().strip()
            if w or who.text().strip():
                out.append(FollowUp(w, who.text().strip() or self._default_who, by.value()))
        return out

    def set_value(self, value: list[FollowUp] | None) -> None:
        items = list(value or [])
        while len(self.rows) < len(items):
            self.add_row()
        for i, (what, who, by) in enumerate(self.rows):
            a = items[i] if i < len(items) else FollowUp("", "", None)
            what.setText(a.what)
            who.setText(a.who)
            by.set_value(a.by_when)


def default_start(now_hour: int, now_minute: int) -> str:
    """The start time a form offers: the last quarter hour (most sessions are written up after)."""
    return f"{now_hour:02d}:{now_minute - now_minute % 15:02d}"

"""The risk management plan's editor: one row per action (what, who, by when as dd/mm/yyyy), added
with "Add action" and removed with the row's own button; Tab walks the rows in order."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from keyworker.risk import RiskAction
from ui.forms.widgets import UkDateEdit


class _Row:
    def __init__(self, what: QLineEdit, who: QLineEdit, by_when: UkDateEdit, remove: QPushButton) -> None:
        self.what, self.who, self.by_when, self.remove = what, who, by_when, remove

    def widgets(self) -> list[QWidget]:
        return [self.what, self.who, self.by_when, self.remove]


class ActionsEdit(QWidget):
    """`value()` -> list[RiskAction] (rows left wholly blank are not actions); `set_value(actions)`."""

    value_changed = Signal()

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.rows: list[_Row] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        for c, text in enumerate(("What will be done", "Who", "By when")):
            self.grid.addWidget(QLabel(f"<b>{text}</b>"), 0, c)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        self.none = QLabel("No actions yet.")
        self.none.setObjectName("muted")
        bar = QHBoxLayout()  # above the rows: Tab goes from it into them, as they read
        self.add_button = QPushButton("&Add action")
        self.add_button.setAccessibleName("Add an action to the risk management plan")
        self.add_button.setAutoDefault(False)  # Enter in the form saves, whatever was pressed before
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        outer.addLayout(bar)
        outer.addLayout(self.grid)
        outer.addWidget(self.none)

    def add_row(self, action: RiskAction | None = None, *, focus: bool = False) -> _Row:
        n = len(self.rows) + 1
        what, who = QLineEdit(), QLineEdit()
        what.setPlaceholderText("e.g. Daily check-in with the key worker")
        what.setAccessibleName(f"Action {n}: what will be done")
        who.setPlaceholderText("e.g. Key worker")
        who.setAccessibleName(f"Action {n}: who will do it")
        by_when = UkDateEdit(action.by_when if action else self.today + timedelta(days=7))
        by_when.setAccessibleName(f"Action {n}: by when")
        remove = QPushButton("Remove")
        remove.setAutoDefault(False)
        remove.setAccessibleName(f"Remove action {n}")
        if action is not None:
            what.setText(action.what)
            who.setText(action.who)
        row = _Row(what, who, by_when, remove)
        remove.clicked.connect(lambda: self.remove_row(row))
        for w in (what, who):
            w.textChanged.connect(lambda *_: self.value_changed.emit())
        by_when.dateChanged.connect(lambda *_: self.value_changed.emit())
        self.rows.append(row)
        self._relayout()
        for w in row.widgets():
            w.show()  # now, not when the layout next runs: the cursor goes into the new row at once
        if focus:
            what.setFocus()
        self.value_changed.emit()
        return row

    def remove_row(self, row: _Row) -> None:
        i = self.rows.index(row)
        self.rows.remove(row)
        for w in row.widgets():
            w.setParent(None)
            w.deleteLater()
        self._relayout()
        target = self.rows[min(i, len(self.rows) - 1)].what if self.rows else self.add_button
        target.setFocus()
        self.value_changed.emit()

    def _relayout(self) -> None:
        for r, row in enumerate(self.rows, 1):
            for c, w in enumerate(row.widgets()):
                self.grid.addWidget(w, r, c)
        self.none.setVisible(not self.rows)
        # Each widget is put after the one before it, so the rows follow the button and whatever
        # came after the button (the next section) follows the last row.
        chain = [self.add_button] + [w for row in self.rows for w in row.widgets()]
        for a, b in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def value(self) -> list[RiskAction]:
        out = []
        for row in self.rows:
            what, who = row.what.text().strip(), row.who.text().strip()
            if what or who:
                out.append(RiskAction(what, who, row.by_when.value() or self.today))
        return out

    def set_value(self, actions: list[RiskAction] | tuple[RiskAction, ...] | None) -> None:
        for row in list(self.rows):
            for w in row.widgets():
                w.setParent(None)
                w.deleteLater()
        self.rows.clear()
        for a in actions or ():
            self.add_row(a)
        self._relayout()
        self.value_changed.emit()

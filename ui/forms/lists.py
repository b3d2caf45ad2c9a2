"""Small list editors used inside forms: other substances (each with its route) and named
parties (for information-sharing consent)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.forms.widgets import ChoiceCombo


class SubstanceListEdit(QWidget):
    """Rows of (substance, route). `value()` -> list of {"substance", "route"} or None when empty."""

    value_changed = Signal()

    def __init__(self, substances: Sequence[str], routes: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._substances = list(substances)
        self._routes = list(routes)
        self._rows: list[tuple[QWidget, ChoiceCombo, ChoiceCombo]] = []
        self.read_only = False  # set_read_only(): the list is shown, its buttons are not
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(4)
        self.add_button = QPushButton("Add a substance")
        self.add_button.setAccessibleName("Add another substance")
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        self._box.addLayout(row)

    def add_row(self, substance: str | None = None, route: str | None = None, *, focus: bool = False) -> None:
        line = QWidget(self)
        h = QHBoxLayout(line)
        h.setContentsMargins(0, 0, 0, 0)
        n = len(self._rows) + 1
        sub = ChoiceCombo(self._substances, blank="Choose a substance")
        sub.setAccessibleName(f"Other substance {n}")
        route_box = ChoiceCombo(self._routes, blank="Route not recorded")
        route_box.setAccessibleName(f"Route of other substance {n}")
        for combo in (sub, route_box):  # as wide as the longest name: never elided
            combo.setSizeAdjustPolicy(ChoiceCombo.SizeAdjustPolicy.AdjustToContents)
        remove = QPushButton("Remove")
        remove.setAccessibleName(f"Remove other substance {n}")
        sub.set_value(substance)
        route_box.set_value(route)
        h.addWidget(sub, 2)
        h.addWidget(route_box, 1)
        h.addWidget(remove)
        self._box.insertWidget(len(self._rows), line)
        entry = (line, sub, route_box)
        self._rows.append(entry)
        sub.value_changed.connect(self.value_changed)
        route_box.value_changed.connect(self.value_changed)
        remove.clicked.connect(lambda: self._remove(entry))
        remove.setVisible(not self.read_only)
        if focus:
            sub.setFocus()
        self.value_changed.emit()

    def set_read_only(self, ro: bool) -> None:
        self.read_only = ro
        self.setEnabled(not ro)
        self.add_button.setVisible(not ro)
        for line, _s, _r in self._rows:
            for b in line.findChildren(QPushButton):
                b.setVisible(not ro)

    def _remove(self, entry: tuple[QWidget, ChoiceCombo, ChoiceCombo]) -> None:
        self._rows.remove(entry)
        entry[0].setParent(None)
        entry[0].deleteLater()
        self.value_changed.emit()

    def value(self) -> list[dict[str, Any]] | None:
        out = [{"substance": s.value() or "", "route": r.value()} for _w, s, r in self._rows
               if s.value() or r.value()]
        return out or None

    def set_value(self, value: Sequence[Any] | None) -> None:
        for entry in list(self._rows):
            self._rows.remove(entry)
            entry[0].setParent(None)
            entry[0].deleteLater()
        for item in value or ():
            if isinstance(item, dict):
                self.add_row(item.get("substance"), item.get("route"))
            else:
                seq = list(item)
                self.add_row(seq[0], seq[1] if len(seq) > 1 else None)
        self.value_changed.emit()


class NameListEdit(QWidget):
    """A list of names typed one at a time (Enter or Add), removable. `value()` -> list[str]."""

    value_changed = Signal()

    def __init__(self, placeholder: str = "Name of a person or organisation", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(placeholder)
        self.entry.setAccessibleName("Party to add")
        self.add_button = QPushButton("Add")
        self.add_button.setAccessibleName("Add party")
        row.addWidget(self.entry, 1)
        row.addWidget(self.add_button)
        v.addLayout(row)
        self.list = QListWidget()
        self.list.setAccessibleName("Named parties")
        self.list.setMaximumHeight(90)
        v.addWidget(self.list)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.setAccessibleName("Remove selected party")
        v.addWidget(self.remove_button)
        self.add_button.clicked.connect(self.add_current)
        self.entry.returnPressed.connect(self.add_current)
        self.entry.textChanged.connect(lambda _t: self.value_changed.emit())
        self.remove_button.clicked.connect(self._remove_selected)

    def add_current(self) -> None:
        name = self.entry.text().strip()
        if name:
            self.list.addItem(name)
            self.entry.clear()
            self.value_changed.emit()

    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.value_changed.emit()

    def value(self) -> list[str]:
        names = [self.list.item(i).text() for i in range(self.list.count())]
        pending = self.entry.text().strip()  # typed but not yet added: still counts
        return names + ([pending] if pending else [])

    def set_value(self, value: Sequence[str] | None) -> None:
        self.list.clear()
        self.list.addItems(list(value or ()))
        self.value_changed.emit()

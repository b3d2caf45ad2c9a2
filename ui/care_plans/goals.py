"""The goals editor of the care plan: each goal has a domain, the goal in the resident's own words,
actions (what, who, by when), a status and progress notes. The core's `Goal` values in and out."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.care_plans import Goal, GoalAction
from keyworker.plan_sections import GOAL_DOMAINS, GOAL_STATUSES

DATE_ROLE = Qt.ItemDataRole.UserRole + 1


def _qdate(d: Any) -> QDate | None:
    if d is None or d == "":
        return None
    if isinstance(d, QDate):
        return d if d.isValid() else None
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d)
        except ValueError:
            return None
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate | None) -> date | None:
    if q is None or not q.isValid():
        return None
    return date(q.year(), q.month(), q.day())


class _ByWhenDelegate(QStyledItemDelegate):
    """A UK-format date editor with a calendar for the "by when" column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        ed = QDateEdit(parent)
        ed.setDisplayFormat("dd/MM/yyyy")
        ed.setCalendarPopup(True)
        ed.setAccessibleName("By when")
        return ed

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        q = index.data(DATE_ROLE)
        assert isinstance(editor, QDateEdit)
        editor.setDate(q if isinstance(q, QDate) and q.isValid() else QDate.currentDate())

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QDateEdit)
        q = editor.date()
        model.setData(index, q, DATE_ROLE)
        model.setData(index, q.toString("dd/MM/yyyy"), Qt.ItemDataRole.DisplayRole)


class ActionsTable(QTableWidget):
    """Actions of one goal: what will be done, who does it, by when."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Action", "Who", "By when"])
        self.setAccessibleName("Actions")
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setVisible(False)
        self.setItemDelegateForColumn(2, _ByWhenDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemChanged.connect(lambda _i: self.changed.emit())
        self.model().rowsInserted.connect(lambda *_: self._fit())
        self.model().rowsRemoved.connect(lambda *_: self._fit())
        self._fit()

    def _fit(self) -> None:
        """As tall as its rows (at least one empty row), so a goal card has no dead space."""
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        rows = max(rows, self.verticalHeader().defaultSectionSize())
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + rows + 2 * self.frameWidth() + 6)

    def add_action(self, action: str = "", who: str = "", by: Any = None) -> int:
        self.blockSignals(True)
        row = self.rowCount()
        self.insertRow(row)
        self.setItem(row, 0, QTableWidgetItem(action))
        self.setItem(row, 1, QTableWidgetItem(who))
        when = QTableWidgetItem()
        q = _qdate(by)
        if q is not None:
            when.setData(DATE_ROLE, q)
            when.setText(q.toString("dd/MM/yyyy"))
        self.setItem(row, 2, when)
        self.blockSignals(False)
        self.changed.emit()
        return row

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.selectedIndexes()}, reverse=True)
        if not rows and self.currentRow() >= 0:
            rows = [self.currentRow()]
        for r in rows:
            self.removeRow(r)
        if rows:
            self.changed.emit()

    def value(self) -> list[GoalAction]:
        out = []
        for r in range(self.rowCount()):
            action = (self.item(r, 0).text() if self.item(r, 0) else "").strip()
            who = (self.item(r, 1).text() if self.item(r, 1) else "").strip()
            by = _pydate(self.item(r, 2).data(DATE_ROLE)) if self.item(r, 2) else None
            if action or who or by:
                out.append(GoalAction(action, who, by))
        return out

    def set_value(self, actions: Sequence[GoalAction]) -> None:
        self.blockSignals(True)
        self.setRowCount(0)
        self.blockSignals(False)
        for a in actions:
            self.add_action(a.action, a.who, a.by_when)


class GoalCard(QGroupBox):
    """One goal. `removed` asks the list to drop it."""

    changed = Signal()
    removed = Signal(object)

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goalCard")
        self.goal_id: str | None = None  # kept, so reviews and diffs can follow the goal across versions
        self.domain = QComboBox()
        self.domain.setAccessibleName("Domain")
        self.domain.addItem("Choose a domain…", "")
        for key, label in GOAL_DOMAINS.items():
            self.domain.addItem(label, key)
        self.goal = QPlainTextEdit()
        self.goal.setAccessibleName("Goal in the resident's words")
        self.goal.setPlaceholderText("In the resident's own words, e.g. “I want to be back in touch with my daughter”")
        self.goal.setTabChangesFocus(True)
        self.goal.setFixedHeight(64)
        self.status = QComboBox()
        self.status.setAccessibleName("Status")
        for key, label in GOAL_STATUSES.items():
            self.status.addItem(label, key)
        self.actions = ActionsTable()
        add = QPushButton("Add action")
        add.setAccessibleName("Add action")
        add.clicked.connect(self._add_action)
        rm = QPushButton("Remove action")
        rm.setAccessibleName("Remove selected action")
        rm.clicked.connect(self.actions.remove_selected)
        self.progress = QPlainTextEdit()
        self.progress.setAccessibleName("Progress notes")
        self.progress.setTabChangesFocus(True)
        self.progress.setFixedHeight(64)
        self.remove_button = QPushButton("Remove goal")
        self.remove_button.setAccessibleName("Remove this goal")
        self.remove_button.clicked.connect(lambda: self.removed.emit(self))

        # Domain and status on rows of their own, the combo no wider than it must be: on one row with
        # the button they made a goal 700 px wide at least, clipped on a 1024 px screen.
        self.domain.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.domain.setMinimumContentsLength(18)
        form = QFormLayout(self)
        form.addRow("Domain:", self.domain)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status)
        status_row.addStretch(1)
        status_row.addWidget(self.remove_button)
        form.addRow("Status:", status_row)
        form.addRow("Goal:", self.goal)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(rm)
        buttons.addStretch(1)
        acts = QVBoxLayout()
        acts.addWidget(self.actions)
        acts.addLayout(buttons)
        form.addRow("Actions:", acts)
        form.addRow("Progress notes:", self.progress)
        self.set_number(number)
        for sig in (self.domain.currentIndexChanged, self.status.currentIndexChanged, self.goal.textChanged,
                    self.progress.textChanged, self.actions.changed):
            sig.connect(lambda *_: self.changed.emit())

    def set_number(self, n: int) -> None:
        self.setTitle(f"Goal {n}")
        self.setAccessibleName(f"Goal {n}")

    def _add_action(self) -> None:
        row = self.actions.add_action()
        self.actions.setCurrentCell(row, 0)
        self.actions.editItem(self.actions.item(row, 0))

    def value(self) -> Goal:
        g = Goal(domain=self.domain.currentData() or "", goal=self.goal.toPlainText().strip(),
                 actions=self.actions.value(), status=self.status.currentData() or "not_started",
                 progress_notes=self.progress.toPlainText().strip())
        if self.goal_id:
            g.id = self.goal_id
        else:
            self.goal_id = g.id
        return g

    def set_value(self, g: Goal) -> None:
        self.goal_id = g.id
        i = self.domain.findData(g.domain or "")
        if i < 0 and g.domain:  # a domain no longer offered stays visible, not silently lost
            self.domain.addItem(str(g.domain), g.domain)
            i = self.domain.count() - 1
        self.domain.setCurrentIndex(max(i, 0))
        self.goal.setPlainText(g.goal or "")
        self.status.setCurrentIndex(max(self.status.findData(g.status or "not_started"), 0))
        self.actions.set_value(g.actions)
        self.progress.setPlainText(g.progress_notes or "")

    def is_blank(self) -> bool:
        return not (self.domain.currentData() or self.goal.toPlainText().strip() or self.actions.value()
                    or self.progress.toPlainText().strip())


def confirm_remove(parent: QWidget, title: str) -> bool:
    """A goal with something typed in it is only removed when the user says so."""
    box = QMessageBox(QMessageBox.Icon.Question, "Remove goal", f"Remove {title} and everything written in it?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAccessibleName("Remove goal")
    return box.exec() == QMessageBox.StandardButton.Yes


class GoalsEditor(QWidget):
    """All goals of a plan. `value()` is a list of `Goal`; blank goals are left out."""

    changed = Signal()
    value_changed = Signal()  # the name the form binder listens to

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Goals")
        self.confirm_remove: Callable[[QWidget, str], bool] = confirm_remove
        self.changed.connect(lambda *_: self.value_changed.emit())
        self.cards: list[GoalCard] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel("No goals yet. Agree goals with the resident and write them in their own words.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        lay.addWidget(self.empty)
        self.cards_box = QVBoxLayout()
        lay.addLayout(self.cards_box)
        self.add_button = QPushButton("Add goal")
        self.add_button.setAccessibleName("Add goal")
        self.add_button.clicked.connect(self._add_clicked)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        lay.addLayout(row)
        self._update_empty()

    def add_goal(self, value: Goal | None = None) -> GoalCard:
        card = GoalCard(len(self.cards) + 1)
        if value:
            card.set_value(value)
        card.changed.connect(lambda *_: self.changed.emit())
        card.removed.connect(self._remove)
        self.cards.append(card)
        self.cards_box.addWidget(card)
        self._update_empty()
        return card

    def _add_clicked(self) -> None:
        card = self.add_goal()
        card.domain.setFocus()
        self.changed.emit()

    def _remove(self, card: GoalCard) -> None:
        if not card.is_blank() and not self.confirm_remove(self, card.title()):
            return
        self.cards.remove(card)
        self.cards_box.removeWidget(card)
        card.deleteLater()
        for n, c in enumerate(self.cards, 1):
            c.set_number(n)
        self._update_empty()
        self.changed.emit()

    def _update_empty(self) -> None:
        self.empty.setVisible(not self.cards)

    def value(self) -> list[Goal]:
        return [c.value() for c in self.cards if not c.is_blank()]

    def set_value(self, goals: Sequence[Goal]) -> None:
        for c in list(self.cards):
            self.cards_box.removeWidget(c)
            c.deleteLater()
        self.cards.clear()
        for g in goals:
            self.add_goal(g)
        self._update_empty()

    def setReadOnly(self, ro: bool) -> None:  # noqa: N802 - mirrors Qt's naming
        self.add_button.setEnabled(not ro)
        for c in self.cards:
            for w in (c.goal, c.progress):
                w.setReadOnly(ro)
            for w in (c.domain, c.status, c.remove_button):
                w.setEnabled(not ro)
            c.actions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if ro
                                      else QAbstractItemView.EditTrigger.AllEditTriggers)

"""One look and one keyboard behaviour for every read-only list in the app."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QSplitter, QTableView, QTextBrowser, QWidget


def read_only_table(table: QTableView) -> QTableView:
    """Whole-row single selection, no in-place editing, no row numbers, striped rows, and Tab
    moves on to the next control instead of from cell to cell (keyboard users leave the list)."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setTabKeyNavigation(False)
    return table


class OpeningTable(QTableView):
    """A page's list whose row opens something: Enter or Return opens it (double-click too), as
    `activated` does for a mouse."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


def list_over_detail(table: QWidget, name: str, accessible_name: str,
                     empty_text: str) -> tuple[QTextBrowser, QSplitter, QLabel]:
    """A resident tab's list with the chosen row in full below it, and the line shown instead
    while the list is empty: (detail, splitter holding both, empty label)."""
    detail = QTextBrowser()
    detail.setObjectName(name)
    detail.setAccessibleName(accessible_name)
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(table)
    split.addWidget(detail)
    empty = QLabel(empty_text)
    empty.setObjectName("muted")
    return detail, split, empty

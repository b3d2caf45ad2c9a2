"""One look and one keyboard behaviour for every read-only list in the app."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QTableView


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

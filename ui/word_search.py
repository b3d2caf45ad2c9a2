"""Search as you type over everything a row says: every typed word must appear in the row's text
(lower case, any order). The row's text comes from the page's model, so it can include what has
no column (an outbox item's title, a conflict's values)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel


class WordSearchProxy(QSortFilterProxyModel):
    def __init__(self, row_text: Callable[[int], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._row_text = row_text  # source row -> its lower-case searchable text
        self.text = ""

    def set_text(self, text: str) -> None:
        self.text = " ".join(text.lower().split())
        self.setFilterFixedString(self.text)  # re-filters; the words are matched in filterAcceptsRow

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        if not self.text:
            return True
        hay = self._row_text(row)
        return all(w in hay for w in self.text.split())

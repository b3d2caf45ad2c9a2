"""The History tab: the audit trail of this resident's record (who viewed, changed, printed or
sent what, and when), newest first, in people's words (keyworker/audit_words.py), with a filter and
the option to leave out plain views."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.audit_words import actor_words, describe, is_view
from keyworker.clock import format_datetime
from keyworker.security.audit_service import AuditRow
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext

LIMIT = 1000


class HistoryTab(QWidget):
    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.rows: list[AuditRow] = []
        self.setObjectName("historyTab")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by who, what or detail")
        self.filter.setAccessibleName("Filter history")
        self.filter.setClearButtonEnabled(True)
        self.views = QCheckBox("Include &views")
        self.views.setAccessibleName("Include views of the record")
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.views)
        v.addLayout(bar)
        self.model = QStandardItemModel(0, 4, self)
        self.model.setHorizontalHeaderLabels(["When", "Who", "What", "Details"])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Record history")
        read_only_table(self.table)
        # Details wrap within their column (rows grow), so nothing is cut off with "…".
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h = self.table.horizontalHeader()
        # When and who as wide as they need; what and the details share the rest (and wrap).
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 3):
            h.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.table, 1)
        self.count = QLabel()
        v.addWidget(self.count)
        self.filter.textChanged.connect(self._apply_filter)
        self.views.toggled.connect(lambda _on: self._fill())
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()  # the trail grows while the record is open: fresh each time it is looked at

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: book.audit.recent(limit=LIMIT, resident_id=rid), self._show)

    def _show(self, rows: list[AuditRow]) -> None:
        self.rows = rows
        self._loaded_once = True
        self._fill()

    def _fill(self) -> None:
        shown = [r for r in self.rows if self.views.isChecked() or not is_view(r.action)]
        self.model.setRowCount(0)
        for r in shown:
            words = describe(r.action, r.detail)
            items = [QStandardItem(format_datetime(r.at)), QStandardItem(actor_words(r.actor_full_name, r.actor_name)),
                     QStandardItem(words.what), QStandardItem(words.details)]
            for item in items[2:]:
                item.setToolTip(item.text())
            self.model.appendRow(items)

        hidden = len(self.rows) - len(shown)
        text = f"{len(shown)} entr{'ies' if len(shown) != 1 else 'y'}"
        if hidden:
            text += f" ({hidden} views hidden)"
        if len(self.rows) >= LIMIT:
            text += f" — the latest {LIMIT} only"
        self.count.setText(text)
        self._apply_filter(self.filter.text())

    def _apply_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())

    def visible_actions(self) -> list[str]:
        return [self.proxy.index(i, 2).data() for i in range(self.proxy.rowCount())]

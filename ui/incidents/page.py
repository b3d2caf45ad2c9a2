"""The unit's "Incidents" page (seniors): every resident's incidents, newest first, filtered by
dates (the last 30 days to start with) and type, searched by name or reference; Enter or a
double-click opens the resident's record on its Incidents tab."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from keyworker.clock import format_datetime, local_today
from keyworker.errors import ValidationError
from ui.context import AppContext
from ui.errors import show_error
from ui.incidents.details import police_cell, safeguarding_cell
from ui.incidents.filters import IncidentFilterBar
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import OpeningTable, read_only_table

DEFAULT_DAYS = 30


class UnitIncidentsModel(RowsModel):
    headings = ("When", "Resident", "Reference", "Type", "Police", "Safeguarding")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            return None
        x = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return x.resident_id
        return (format_datetime(x.occurred_at), x.resident_name, x.resident_reference, x.kind_label,
                police_cell(x.police_involved), safeguarding_cell(x.safeguarding_referral))[index.column()]

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()



class UnitIncidentsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("unitIncidentsPage")
        self.setAccessibleName("Incidents in the unit")
        title = QLabel("Incidents")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("pageSubtitle")
        today = local_today(ctx.book.clock)
        self.filters = IncidentFilterBar(today - timedelta(days=DEFAULT_DAYS), today)
        self.filters.changed.connect(self.refresh)
        self.search = QLineEdit()
        self.search.setObjectName("incidentSearch")
        self.search.setPlaceholderText("Type a name or reference")
        self.search.setAccessibleName("Search incidents by resident")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh incidents")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()  # the dates and type, then the search on its own row: room for both at 1024 px
        bar.addWidget(self.filters)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        search_row = QHBoxLayout()
        find = QLabel("&Search")
        find.setBuddy(self.search)
        search_row.addWidget(find)
        search_row.addWidget(self.search, 1)
        self.model = UnitIncidentsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self.table_focus)
        self.table = OpeningTable()
        self.table.setObjectName("unitIncidentsTable")
        self.table.setAccessibleName("Incidents in the unit, newest first")
        self.table.setModel(self.proxy)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        hint = QLabel("Enter opens the resident's record on its Incidents tab.")
        hint.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.subtitle)
        lay.addLayout(bar)
        lay.addLayout(search_row)
        lay.addWidget(self.problem)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.empty, 1)
        lay.addWidget(hint)
        self.setFocusProxy(self.search)
        ctx.state.data_changed.connect(lambda area: self.refresh() if area in ("incidents", "residents") else None)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def type_into_search(self, text: str) -> None:
        self.search.setFocus()
        self.search.insert(text)

    def table_focus(self) -> None:
        if self.proxy.rowCount():
            self.table.setFocus()
            self.table.selectRow(0)

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, f = self.ctx.book, self.filters.value()
        self.ctx.tasks.run(lambda: book.incidents.unit(f), self._loaded, self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.problem.setText("⚠ " + " ".join(exc.fields.values()))
            self.problem.show()
            return
        show_error(self, exc)

    def _loaded(self, rows: list[Any]) -> None:
        self.problem.hide()
        self.model.set_rows(rows)
        self._search(self.search.text())

    def _search(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        shown = self.proxy.rowCount()
        total = self.model.rowCount()
        self.subtitle.setText(f"{shown} incident{'s' if shown != 1 else ''}"
                              + (f" of {total} in these dates" if shown != total else " in these dates"))
        self.empty.setText("No incidents match." if total else "No incidents in these dates.")
        self.empty.setVisible(shown == 0)
        self.table.setVisible(shown > 0)

    def _open(self, index: QModelIndex) -> None:
        rid = self.proxy.data(index, Qt.ItemDataRole.UserRole)
        if rid:
            self.ctx.open_resident(rid, tab="incidents")

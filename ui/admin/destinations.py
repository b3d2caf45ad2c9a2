"""Administration → Destinations (administrators and seniors): where the outbox sends letters and
returns. The list shows each destination, where it goes and whether it was last reached; buttons
add, change, turn off or on, and test the chosen one (off the UI thread, a busy bar while the
network is tried, the answer in words). Below, each kind of document and its default destination,
chosen from a list; setting one also sends there the items of that kind that were waiting."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime
from keyworker.outbox.destinations import DestinationView, RouteResult, RouteView, TestResult
from keyworker.outbox.kinds import kind_words
from keyworker.security.permissions import Permission
from ui.admin.destination_dialog import DestinationDialog
from ui.context import AppContext
from ui.errors import describe, show_error
from ui.widgets.busy import busy_bar
from ui.widgets.tables import read_only_table

COLUMNS = ["Name", "Kind", "Where", "Connection", "Sends"]
NO_DESTINATION = "No destination (they wait)"


class DestinationsScreen(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.destinations: list[DestinationView] = []
        self.route_rows: list[RouteView] = []
        self._filling = False
        self.setObjectName("destinationsScreen")
        self.setAccessibleName("Destinations")
        lay = QVBoxLayout(self)

        intro = QLabel("Letters and returns wait in the outbox, encrypted, until they are sent to a destination. "
                       "Secrets are stored encrypted and never shown again.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        lay.addWidget(intro)

        box = QGroupBox("Destinations")
        bl = QVBoxLayout(box)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("destinationsTable")
        self.table.setAccessibleName("Destinations")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.edit_destination())
        bl.addWidget(self.table, 1)
        self.empty = QLabel("No destinations yet: everything the unit sends waits in the outbox until one is added.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        bl.addWidget(self.empty)
        row = QHBoxLayout()
        self.add_button = self._button("Ne&w destination…", self.add_destination)
        self.edit_button = self._button("&Change…", self.edit_destination)
        self.toggle_button = self._button("Turn o&ff", self.toggle_enabled)
        self.test_button = self._button("&Test connection", self.test_connection)
        for b in (self.add_button, self.edit_button, self.toggle_button, self.test_button):
            row.addWidget(b)
        row.addStretch(1)
        bl.addLayout(row)
        self.busy = busy_bar("Testing the connection")
        bl.addWidget(self.busy)
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result.setVisible(False)
        bl.addWidget(self.test_result)
        lay.addWidget(box, 2)

        routes_box = QGroupBox("Where each kind of document goes")
        rl = QVBoxLayout(routes_box)
        self.routes_table = QTableWidget(0, 2)
        self.routes_table.setObjectName("routesTable")
        self.routes_table.setAccessibleName("Where each kind of document goes")
        self.routes_table.setHorizontalHeaderLabels(["Kind of document", "Destination"])
        read_only_table(self.routes_table)
        self.routes_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.routes_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.routes_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        rl.addWidget(self.routes_table, 1)
        self.route_result = QLabel()
        self.route_result.setObjectName("routeResult")
        self.route_result.setAccessibleName("Route changed")
        self.route_result.setWordWrap(True)
        self.route_result.setVisible(False)
        rl.addWidget(self.route_result)
        lay.addWidget(routes_box, 3)

        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self._update_buttons()

    def _button(self, text: str, slot) -> QPushButton:  # type: ignore[no-untyped-def]
        b = QPushButton(text)
        b.setAccessibleName(text.replace("&", "").rstrip("…"))
        b.clicked.connect(slot)
        return b

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def _on_data_changed(self, area: str) -> None:
        if area == "outbox" and self.isVisible():
            self.refresh()

    # -- loading -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx.state.locked or not self.ctx.book.actor.can(Permission.MANAGE_DESTINATIONS):
            return
        book = self.ctx.book
        self.ctx.tasks.run(lambda: (book.destinations.list(), book.destinations.routes()), self._show,
                           lambda e: show_error(self, e))

    def _show(self, result: tuple[list[DestinationView], list[RouteView]]) -> None:
        chosen = self.selected()
        self.destinations, self.route_rows = result
        self.table.setRowCount(len(self.destinations))
        for r, d in enumerate(self.destinations):
            state = d.state if d.enabled else "Turned off"
            sends = ", ".join(kind_words(k) for k in d.kinds) or "—"
            for c, text in enumerate([d.name, d.transport_label, d.where, state, sends]):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d.id)
                item.setToolTip(text)
                if c == 3:
                    item.setToolTip(self._state_words(d))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setVisible(bool(self.destinations))
        self.empty.setVisible(not self.destinations)
        if chosen is not None:
            self.select(chosen.id)
        self._show_routes()
        self._update_buttons()

    def _state_words(self, d: DestinationView) -> str:
        if not d.enabled:
            return "Turned off: nothing is sent here until it is turned on again."
        if d.online is None:
            return "Not tried yet: use Test connection."
        if d.online:
            return f"Reached {format_datetime(d.last_reached_at)}."
        return f"Not reached {format_datetime(d.last_unreachable_at)}: {d.last_error or ''}".strip()

    def _show_routes(self) -> None:
        self._filling = True
        self.routes_table.setRowCount(len(self.route_rows))
        for r, route in enumerate(self.route_rows):
            self.routes_table.setItem(r, 0, QTableWidgetItem(route.kind_words))
            combo = QComboBox()
            combo.setObjectName(f"route_{route.kind}")
            combo.setAccessibleName(f"Destination for {route.kind_words}")
            combo.addItem(NO_DESTINATION, None)
            for d in self.destinations:
                combo.addItem(d.name if d.enabled else f"{d.name} (turned off)", d.id)
            combo.setCurrentIndex(max(0, combo.findData(route.destination_id)) if route.destination_id else 0)
            combo.currentIndexChanged.connect(lambda _i, k=route.kind, c=combo: self._route_chosen(k, c.currentData()))
            self.routes_table.setCellWidget(r, 1, combo)
        self.routes_table.resizeRowsToContents()
        self._filling = False

    # -- choosing ----------------------------------------------------------------------------------
    def select(self, destination_id: str) -> None:
        for r, d in enumerate(self.destinations):
            if d.id == destination_id:
                self.table.selectRow(r)

    def selected(self) -> DestinationView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.destinations[rows[0].row()] if rows and rows[0].row() < len(self.destinations) else None

    def _update_buttons(self) -> None:
        d = self.selected()
        testing = self.busy.isVisible()
        self.edit_button.setEnabled(d is not None)
        self.toggle_button.setEnabled(d is not None)
        self.test_button.setEnabled(d is not None and d.enabled and not testing)
        on = d is not None and not d.enabled
        self.toggle_button.setText("Turn o&n" if on else "Turn o&ff")
        self.toggle_button.setAccessibleName("Turn on" if on else "Turn off")

    # -- actions -----------------------------------------------------------------------------------
    def add_destination(self) -> DestinationDialog:
        dlg = DestinationDialog(self.ctx, None, self)
        dlg.accepted.connect(lambda: self.select(dlg.result_value.id) if dlg.result_value else None)
        dlg.open()
        return dlg

    def edit_destination(self) -> DestinationDialog | None:
        d = self.selected()
        if d is None:
            return None
        dlg = DestinationDialog(self.ctx, d, self)
        dlg.open()
        return dlg

    def toggle_enabled(self) -> None:
        d = self.selected()
        if d is None:
            return
        book = self.ctx.book
        fn = (lambda: book.destinations.enable(d.id)) if not d.enabled else (lambda: book.destinations.disable(d.id))
        self.ctx.tasks.run(fn, lambda _r: self.ctx.state.data_changed.emit("outbox"), lambda e: show_error(self, e))

    def test_connection(self) -> None:
        d = self.selected()
        if d is None:
            return
        book = self.ctx.book
        self.busy.setVisible(True)
        self.test_result.setText(f"Trying {d.name} ({d.where})…")
        self.test_result.setProperty("outcome", "")
        self.test_result.setVisible(True)
        self._update_buttons()
        # The network is tried on the pool, never on the UI thread nor the database thread.
        self.ctx.tasks.run(lambda: book.destinations.test(d.id), self._tested, self._test_failed, pool=True)

    def _tested(self, result: TestResult) -> None:
        self.busy.setVisible(False)
        self.test_result.setText(("✓ " if result.ok else "✗ ") + result.words)
        self.test_result.setProperty("outcome", "ok" if result.ok else "problem")
        self._update_buttons()
        self.ctx.state.data_changed.emit("outbox")

    def _test_failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self.test_result.setText("✗ " + describe(exc)[1])
        self._update_buttons()

    def _route_chosen(self, kind: str, destination_id: str | None) -> None:
        if self._filling:
            return
        book = self.ctx.book
        fn = (lambda: book.destinations.set_route(kind, destination_id)) if destination_id else \
            (lambda: book.destinations.clear_route(kind))
        self.ctx.tasks.run(fn, self._routed, lambda e: show_error(self, e))

    def _routed(self, result: RouteResult) -> None:
        self.route_result.setText(result.words)
        self.route_result.setVisible(True)
        self.ctx.state.data_changed.emit("outbox")

"""The Caseload page: current residents of the unit or my caseload, search-as-you-type on name,
reference and postcode, sortable columns and flags. Fully keyboard-driven: type to search, Down
moves into the table, Enter opens the record (`ctx.open_resident`)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.caseload.model import COLUMNS, FLAGS_COLUMN, RESIDENT_ID_ROLE, CaseloadModel
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

DEBOUNCE_MS = 150
REFRESH_AREAS = frozenset({"residents", "referrals", "care_plans", "reviews", "accounts"})
_OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class CaseloadTable(QTableView):
    """Enter opens the current row; printable keys go to the search box (type to search)."""

    def __init__(self, page: CaseloadPage) -> None:
        super().__init__(page)
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _OPEN_KEYS:
            self.page.open_current()
            return
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            self.page.search.setFocus()
            self.page.search.insert(text)
            return
        if event.key() == Qt.Key.Key_Up and self.currentIndex().row() <= 0:
            self.page.search.setFocus()  # Up from the first row goes back to the search box
            return
        super().keyPressEvent(event)


class CaseloadPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("caseloadPage")
        self.setAccessibleName("Caseload")
        self.model = CaseloadModel(ctx, self)

        title = QLabel("Caseload")
        title.setObjectName("pageTitle")
        self.search = QLineEdit()
        self.search.setObjectName("caseloadSearch")
        self.search.setPlaceholderText("Search by name, reference or postcode")
        self.search.setAccessibleName("Search the caseload")
        self.search.setAccessibleDescription("Type a name, reference or postcode. Press Down to move into the list "
                                             "and Enter to open a record.")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        search_label = QLabel("&Search")
        search_label.setBuddy(self.search)
        self.mine = QCheckBox("&My caseload only")
        self.mine.setAccessibleName("Show only my caseload")
        self.discharged = QCheckBox("Include &discharged")
        self.discharged.setAccessibleName("Include discharged residents")
        self.open_button = QPushButton("&Open record")
        self.open_button.setObjectName("primary")
        self.open_button.setAccessibleName("Open the selected resident's record")
        self.open_button.clicked.connect(self.open_current)
        self.count = QLabel()
        self.count.setObjectName("muted")
        self.count.setAccessibleName("Number of residents shown")

        self.table = CaseloadTable(self)
        self.table.setObjectName("caseloadTable")
        self.table.setAccessibleName("Residents")
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = {"name": 185, "reference": 92, "key_worker": 125, "setting": 110, "admitted": 90, "week": 110,
                  "next_review": 135, "risk": 95}
        for i, col in enumerate(COLUMNS):
            if col.key in widths:
                self.table.setColumnWidth(i, widths[col.key])
        self.table.doubleClicked.connect(lambda _i: self.open_current())

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.mine)
        top.addWidget(self.discharged)
        top.addWidget(self.open_button)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(top)
        lay.addWidget(self.count)
        lay.addWidget(self.table, 1)
        self.setFocusProxy(self.search)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.mine.toggled.connect(lambda _on: self.apply_filter())
        self.discharged.toggled.connect(lambda _on: self.apply_filter())
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda exc: show_error(self, exc))
        self.model.rowsInserted.connect(lambda *_: self._show_count())
        ctx.state.data_changed.connect(self._data_changed)
        ctx.state.actor_changed.connect(self.apply_filter)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.model.refresh())
        self._keep: str | None = None
        self.apply_filter()

    # -- querying ----------------------------------------------------------------------------
    def apply_filter(self) -> None:
        """Query with what the controls say now (the debounce timer calls this after typing stops)."""
        self._debounce.stop()
        if self.ctx.state.locked:
            return
        self._keep = self.selected_resident_id()
        self.count.setText("Searching…")
        self.model.set_filter(self.model.filter.with_(
            text=self.search.text(), mine_only=self.mine.isChecked(),
            include_discharged=self.discharged.isChecked(), actor_id=self.ctx.book.actor.id))

    def focus_search(self) -> None:
        """Ctrl+F / Ctrl+O in the main window: straight to the search box."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """F5: run the same query again, keeping the selection."""
        self._data_changed("residents")

    def _data_changed(self, area: str) -> None:
        if area in REFRESH_AREAS and not self.ctx.state.locked:
            self._keep = self.selected_resident_id()
            self.model.refresh()

    def _loaded(self, total: int) -> None:
        self._show_count()
        row = self.model.row_of(self._keep) if self._keep else -1
        if row < 0 and self.model.rowCount() and self.table.hasFocus():
            row = 0
        if row >= 0:
            self._select(row)

    def _show_count(self) -> None:
        flt = self.model.filter
        total, shown = len(self.model.ids), self.model.rowCount()
        what = ("on my caseload" + (", including discharged" if flt.include_discharged else "")
                if flt.mine_only else "current and discharged" if flt.include_discharged else "current")
        if total == 0:
            self.count.setText("No residents match." if flt.text.strip() else f"No residents {what}.")
            return
        text = f"{total} resident{'s' * (total != 1)} {what}" if flt.mine_only else (
            f"{total} {what} resident{'s' * (total != 1)}")
        if flt.text.strip():
            text += " matching the search"
        if shown < total:
            text += f" (showing {shown}; scroll for more)"
        self.count.setText(text)

    # -- keyboard and opening ----------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
                self._enter_table()
                return True
            if key in _OPEN_KEYS:
                if self._debounce.isActive():  # typed and pressed Enter at once: search first
                    self.apply_filter()
                self.open_current()
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(obj, event)

    def _enter_table(self) -> None:
        if self._debounce.isActive():
            self.apply_filter()
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self._select(0)

    def _select(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def selected_resident_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(RESIDENT_ID_ROLE) if index.isValid() else None

    def open_current(self) -> None:
        """Open the selected resident, or the first one listed if none is selected."""
        rid = self.selected_resident_id() or self.model.resident_id(0)
        if rid:
            self.ctx.open_resident(rid)

    def flags_column(self) -> int:
        return FLAGS_COLUMN


def _register() -> None:
    from ui.main_window import register_page

    register_page("caseload", "Caseload", CaseloadPage, 20)
    import ui.caseload.today  # noqa: F401 - registers the night staff's "Residents in the unit" on Today


_register()

__all__ = ["CaseloadPage"]

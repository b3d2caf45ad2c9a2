"""The Caseload page: current residents of the unit or my caseload, search-as-you-type on name,
reference and postcode, sortable columns and flags. Fully keyboard-driven: type to search, Down
moves into the table, Enter opens the record (`ctx.open_resident`)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.security.permissions import Permission
from ui import user_settings
from ui.caseload.model import COLUMN_KEYS, COLUMNS, DEFAULT_HIDDEN, FLAGS_COLUMN, RESIDENT_ID_ROLE, CaseloadModel
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

DEBOUNCE_MS = 150
REFRESH_AREAS = frozenset({"residents", "referrals", "care_plans", "reviews", "accounts", "risk"})
_OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
def _as_list(value: object) -> list[object]:
    """QSettings (INI) gives back a one-item list as a plain string."""
    if isinstance(value, (list, tuple)):
        return [v for v in value if v]
    return [value] if value else []


class CaseloadTable(QTableView):
    """Enter opens the current row; printable keys go to the search box (type to search)."""

    def __init__(self, page: CaseloadPage) -> None:
        super().__init__(page)
        self.page = page

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.page.fit_columns()

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
        self.search.setPlaceholderText("Name, reference or postcode")
        self.search.setAccessibleName("Search the caseload")
        self.search.setAccessibleDescription("Type a name, reference or postcode. Press Down to move into the list "
                                             "and Enter to open a record.")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance("Name, reference or postcode") + 48)
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
        # The unplanned discharge of the selected resident (issue 13): Ctrl+Shift+U, or this button.
        self.unplanned_button = QPushButton("Unplanned discharge…")
        self.unplanned_button.setObjectName("unplannedDischargeButton")
        self.unplanned_button.setAccessibleName("Record an unplanned discharge for the selected resident")
        self.unplanned_button.setToolTip("Record an unplanned discharge or a freeze for the selected resident "
                                         "(Ctrl+Shift+U)")
        self.unplanned_button.clicked.connect(self.unplanned_discharge)
        QShortcut(QKeySequence("Ctrl+Shift+U"), self, self.unplanned_discharge,
                  Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.columns_button = QPushButton("Colum&ns…")
        self.columns_button.setAccessibleName("Choose the columns shown")
        self.columns_button.setToolTip("Choose which columns the list shows (also: right-click a column heading)")
        self.columns_button.clicked.connect(
            lambda: self.popup_columns_menu(self.columns_button.mapToGlobal(self.columns_button.rect().bottomLeft())))
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
        self._setup_columns()
        self.table.doubleClicked.connect(lambda _i: self.open_current())

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.unplanned_button)
        filters = QHBoxLayout()  # a row of its own: at 1024 px one row would squeeze the search box
        filters.addWidget(self.mine)
        filters.addWidget(self.discharged)
        filters.addSpacing(12)
        filters.addWidget(self.count, 1)
        filters.addWidget(self.columns_button)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(top)
        lay.addLayout(filters)
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
        self.model.rowsInserted.connect(lambda *_: (self._show_count(), self.fit_columns()))
        ctx.state.data_changed.connect(self._data_changed)
        ctx.state.actor_changed.connect(self._actor_changed)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.model.refresh())
        self._keep: str | None = None
        self.open_menu: QMenu | None = None
        self._actor_changed()

    # -- columns -----------------------------------------------------------------------------
    def _setup_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setResizeContentsPrecision(0)  # fit to the rows on screen, not the first 1,000
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.popup_columns_menu(header.mapToGlobal(pos)))
        header.sectionResized.connect(self._section_resized)
        self._fitting = False
        self._user_widths: dict[int, int] = {}  # columns the user sized by hand keep their width
        hidden = user_settings.load(self.ctx.book, "caseload/hidden_columns", None)
        chosen = DEFAULT_HIDDEN if hidden is None else {str(k) for k in _as_list(hidden)}
        for i, col in enumerate(COLUMNS):
            self.table.setColumnHidden(i, col.key in chosen and col.key != "name")

    def _section_resized(self, index: int, _old: int, new: int) -> None:
        if not self._fitting and index != FLAGS_COLUMN:
            self._user_widths[index] = new

    def fit_columns(self) -> None:
        """Each column as wide as what it shows now (cheap: the rows on screen), and the flags first
        among them: if the width is short, the name and key worker give way (elided, full text in the
        tooltip); the flags take whatever is left over. The least important columns are on the right,
        so if even that is not enough, they are the ones scrolled to."""
        if self._fitting:
            return
        self._fitting = True
        try:
            header, fm = self.table.horizontalHeader(), self.table.fontMetrics()
            shown = [i for i in range(len(COLUMNS)) if not self.table.isColumnHidden(i)]

            # Each column's content width once per fit (Qt asks the model for every role of every
            # row it samples: on a 20,000-resident unit this was most of a keystroke's time).
            content = {i: self.table.sizeHintForColumn(i) for i in shown}

            def need(i: int, air: int) -> int:
                return max(content[i] + air, header.sectionSizeHint(i))

            for air in (12, 4):  # some air between columns, less of it when the window is narrow
                widths = {i: self._user_widths.get(i, need(i, air)) for i in shown if i != FLAGS_COLUMN}
                flags_need = max(need(FLAGS_COLUMN, air), fm.horizontalAdvance("Review overdue") + fm.height() + 24)
                spare = self.table.viewport().width() - sum(widths.values()) - flags_need
                if spare >= 0:
                    break
            for key, floor in (("name", "Entwistle, Christopher"), ("key_worker", "Morgan Manager")):
                i = COLUMN_KEYS.index(key)
                if spare < 0 and i in widths and i not in self._user_widths:
                    give = min(-spare, max(0, widths[i] - (fm.horizontalAdvance(floor) + 20)))
                    widths[i] -= give
                    spare += give
            for i, w in widths.items():
                self.table.setColumnWidth(i, w)
            if spare >= 0:
                header.setSectionResizeMode(FLAGS_COLUMN, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(FLAGS_COLUMN, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(FLAGS_COLUMN, flags_need)
        finally:
            self._fitting = False

    def hidden_columns(self) -> set[str]:
        return {c.key for i, c in enumerate(COLUMNS) if self.table.isColumnHidden(i)}

    def set_column_shown(self, key: str, shown: bool) -> None:
        """Show or hide a column (never the name) and remember it for this user on this unit."""
        if key == "name":
            return
        self.table.setColumnHidden(COLUMN_KEYS.index(key), not shown)
        self.fit_columns()
        user_settings.save(self.ctx.book, "caseload/hidden_columns", sorted(self.hidden_columns()) or [""])

    def columns_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setAccessibleName("Columns shown")
        for i, col in enumerate(COLUMNS):
            act = menu.addAction(col.title)
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(i))
            act.setEnabled(col.key != "name")
            act.toggled.connect(lambda on, k=col.key: self.set_column_shown(k, on))
        return menu

    def popup_columns_menu(self, where: QPoint) -> QMenu:
        menu = self.columns_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)
        self.open_menu = menu
        return menu

    def type_into_search(self, text: str) -> None:
        """Typing while the navigation has focus and this page shows: the words go into the search."""
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search.insert(text)

    # -- querying ----------------------------------------------------------------------------
    def _actor_changed(self) -> None:
        """"My caseload" only for those who hold one (not night staff or others without residents)."""
        holds = self.ctx.book.actor.can(Permission.RECORD_REVIEWS)
        self.unplanned_button.setVisible(self.ctx.book.actor.can(Permission.RECORD_UNPLANNED_DISCHARGE))
        self.mine.setVisible(holds)
        if not holds:
            self.mine.setChecked(False)
        self.apply_filter()

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
        self.fit_columns()
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

    def unplanned_discharge(self) -> None:
        """The selected resident's unplanned discharge (two clicks: the row, then the button)."""
        rid = self.selected_resident_id()
        if not rid or self.ctx.state.locked or not self.ctx.book.actor.can(Permission.RECORD_UNPLANNED_DISCHARGE):
            return
        from ui.discharges.unplanned import open_unplanned_discharge

        open_unplanned_discharge(self, self.ctx, rid)

    def flags_column(self) -> int:
        return FLAGS_COLUMN


def _register() -> None:
    from ui.main_window import register_page

    register_page("caseload", "Caseload", CaseloadPage, 20)
    import ui.caseload.today  # noqa: F401 - registers the night staff's "Residents in the unit" on Today


_register()

__all__ = ["CaseloadPage"]

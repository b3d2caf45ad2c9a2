"""Administration → Audit trail (seniors and administrators): every audit entry, newest first, in
the words of the History tab; filtered by person, resident, action and dates; loaded a page at a
time as the list is scrolled; the filtered entries exported as CSV (owner-only). The core decides
what each role sees: an administrator gets residents' references only and no clinical details."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime, local_today
from keyworker.errors import ValidationError
from keyworker.security.audit_viewer import PAGE, AuditFilter, AuditLine, AuditPage, action_choices
from keyworker.security.permissions import Permission
from ui.admin.backup import human_size
from ui.context import AppContext
from ui.errors import show_error
from ui.forms.widgets import OptionalDateEdit
from ui.widgets.row_model import RowsModel
from ui.widgets.save_file import choose_save_path
from ui.widgets.tables import read_only_table

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("When", "Who", "What", "Details", "Resident")
DETAILS, RESIDENT = 3, 4
PLAINTEXT_NOTE = ("A saved CSV is not encrypted. Keep it only as long as you need it, where only you can "
                  "read it, and delete it afterwards.")


class AuditModel(RowsModel):
    """The lines shown so far; `fetchMore` (called by the view as it nears the end) asks for the
    next page through `load_more(before_seq)`, which calls `append` when it arrives."""

    headings = COLUMNS

    def __init__(self, load_more: Callable[[int], None], parent: Any = None) -> None:
        super().__init__(parent)
        self.more = False
        self.loading = False
        self._load_more = load_more

    def reset(self, page: AuditPage) -> None:
        self.beginResetModel()
        self.rows = list(page.lines)
        self.more = page.more
        self.loading = False
        self.endResetModel()

    def append(self, page: AuditPage) -> None:
        self.loading = False
        if page.lines:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.lines) - 1)
            self.rows += page.lines
            self.endInsertRows()
        self.more = page.more

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008 - Qt override
        return not parent.isValid() and self.more and not self.loading and bool(self.rows)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008 - Qt override
        if self.canFetchMore(parent):
            self.loading = True
            self._load_more(self.rows[-1].seq)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.rows[index.row()]
        cells = (format_datetime(line.at), line.who, line.what, line.details, line.resident)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 1:
                return f"{line.who} (user name {line.username})"
            return cells[index.column()] or None  # the full text where a column elides it
        return None


class AuditTrailTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.loaded = False
        self.busy = False
        self.shown_filter: AuditFilter | None = None
        self.saved_csv: Path | None = None
        # The save-file dialog is an attribute so tests can answer it without a blocking dialog.
        self.choose_csv_path: Callable[[QWidget, str], str | None] = _choose_csv_path
        self.setObjectName("auditTrailTab")
        self.setAccessibleName("Audit trail")

        intro = QLabel("Everything done in Keyworker, newest first: who did what, and when. "
                       "Looking at the trail and exporting it are recorded here too.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)

        self.person = QComboBox()
        self.person.setAccessibleName("Person")
        self.resident = QLineEdit()
        self.resident.setAccessibleName("Resident")
        self.resident.setClearButtonEnabled(True)
        self.resident.setMaxLength(100)
        self.resident.setMinimumWidth(self.fontMetrics().horizontalAdvance("Reference, e.g. R-00042") + 40)
        self.action = QComboBox()
        self.action.setAccessibleName("Action")
        self.action.addItem("All actions", ())
        for words, actions in action_choices():
            self.action.addItem(words, actions)
        self.action.setMaxVisibleItems(20)
        today = local_today(ctx.book.clock)
        self.date_from = OptionalDateEdit(default=today)
        self.date_from.setAccessibleName("From date")
        self.date_to = OptionalDateEdit(default=today)
        self.date_to.setAccessibleName("To date")
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("primary")
        self.show_button.setAccessibleName("Show the entries")
        self.show_button.clicked.connect(self.load)
        self.clear_button = QPushButton("Clear &filters")
        self.clear_button.clicked.connect(self.clear_filters)

        # Two rows of labelled fields, so all of them fit at 1024 px as well.
        rows = QVBoxLayout()
        rows.setSpacing(6)
        date_width = self.fontMetrics().horizontalAdvance("00/00/00000") + 44
        for fields, tail in (((("&Person", self.person, 3), ("&Resident", self.resident, 3),
                               ("A&ction", self.action, 4)), ()),
                             ((("Fro&m", self.date_from, 0), ("T&o", self.date_to, 0)),
                              (self.show_button, self.clear_button))):
            row = QHBoxLayout()
            row.setSpacing(8)
            for text, widget, stretch in fields:
                label = QLabel(text)
                label.setBuddy(widget)
                row.addWidget(label)
                row.addWidget(widget, stretch)
                if not stretch:
                    widget.setMinimumWidth(date_width)
                row.addSpacing(8)
            for button in tail:
                row.addWidget(button)
            if tail:
                row.addStretch(1)
            rows.addLayout(row)

        self.summary = QLabel("")
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # how long a query takes is not known: a moving bar
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Loading")
        self.progress.hide()
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.progress)

        self.model = AuditModel(self._load_more, self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName("Audit entries")
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        # Time, person, event and resident fit their text (measured on the rows loaded); the
        # details take what is left, in full in the tooltip.
        hh = self.table.horizontalHeader()
        hh.setResizeContentsPrecision(PAGE)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(DETAILS, QHeaderView.ResizeMode.Stretch)

        self.export_button = QPushButton("E&xport CSV…")
        self.export_button.setAccessibleName("Export the entries shown as a CSV file")
        self.export_button.clicked.connect(self.export_csv)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName("Audit trail status")
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.export_button)
        note = QLabel(PLAINTEXT_NOTE)
        note.setObjectName("muted")
        note.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(rows)
        lay.addWidget(self.problem)
        lay.addLayout(head)
        lay.addWidget(self.table, 1)
        lay.addLayout(actions)
        lay.addWidget(note)
        self.setFocusProxy(self.person)
        self._for_role()
        self._set_busy(False)
        ctx.state.actor_changed.connect(self._actor_changed)
        ctx.state.data_changed.connect(self._on_data_changed)

    # -- who is looking ---------------------------------------------------------------------------
    def _for_role(self) -> None:
        """Clinical staff find a resident by name too; an administrator by reference only."""
        if self.ctx.book.actor.can(Permission.VIEW_RESIDENTS):
            self.resident.setPlaceholderText("Name or reference")
            self.resident.setToolTip("A resident's name or reference")
        else:
            self.resident.setPlaceholderText("Reference, e.g. R-00042")
            self.resident.setToolTip("A resident's reference (R-00042) or record number. "
                                     "Administrators see residents by reference only.")
        self._fill_people()

    def _fill_people(self) -> None:
        book = self.ctx.book

        def fill(accounts: list[Any]) -> None:
            chosen = self.person.currentData()
            self.person.clear()
            self.person.addItem("Everyone", None)
            for a in accounts:
                self.person.addItem(f"{a.full_name} ({a.username})", a.id)
            i = self.person.findData(chosen)
            self.person.setCurrentIndex(max(i, 0))

        if not self.ctx.locked_now():
            self.ctx.tasks.run(lambda: book.accounts.list(), fill, lambda e: show_error(self, e))

    def _actor_changed(self) -> None:
        """A different user signed in: what the last one saw is not necessarily theirs to see."""
        self.model.reset(AuditPage((), False, None))
        self.loaded = False
        self.shown_filter = None
        self.summary.setText("")
        self.status.setText("")
        if self.ctx.book.actor.can(Permission.VIEW_AUDIT):
            self._for_role()
            if self.isVisible():
                self.load()
        self._set_busy(False)

    def _on_data_changed(self, area: str) -> None:
        if area == "accounts" and self.ctx.book.actor.can(Permission.VIEW_AUDIT):
            self._fill_people()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self.loaded:  # the first look: the newest entries (looking is audited, so not before)
            self.load()

    # -- the filter -------------------------------------------------------------------------------
    def current_filter(self) -> AuditFilter:
        return AuditFilter(actor_id=self.person.currentData() or None,
                           resident=self.resident.text().strip() or None,
                           actions=tuple(self.action.currentData() or ()),
                           date_from=self.date_from.value(), date_to=self.date_to.value())

    def clear_filters(self) -> None:
        self.person.setCurrentIndex(0)
        self.resident.clear()
        self.action.setCurrentIndex(0)
        self.date_from.set_value(None)
        self.date_to.set_value(None)
        self.load()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # Enter in a filter shows the entries, as a dialog's default button would.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.table.hasFocus():
            self.load()
            return
        super().keyPressEvent(event)

    # -- loading ----------------------------------------------------------------------------------
    def load(self) -> None:
        if self.busy or self.ctx.locked_now():
            return
        where = self.current_filter()
        book = self.ctx.book
        self.loaded = True
        self._show_problem("")
        self._set_busy(True, "Looking through the audit trail…")
        self.ctx.tasks.run(lambda: book.audit.search(where), lambda page: self._shown(where, page), self._failed)

    def _shown(self, where: AuditFilter, page: AuditPage) -> None:
        self._set_busy(False, "")
        self.shown_filter = where
        self.model.reset(page)
        if not page.resident_found:
            who = "name or reference" if self.ctx.book.actor.can(Permission.VIEW_RESIDENTS) else "reference"
            self.summary.setText(f"No resident has the {who} “{where.resident}”.")
        elif not page.total:
            self.summary.setText("No entries match." if where != AuditFilter() else "The audit trail is empty.")
        else:
            n = page.total
            self.summary.setText(f"{n:,} entr{'y' if n == 1 else 'ies'}"
                                 + (" match" if where != AuditFilter() else " in the audit trail")
                                 + (", newest first" if n > 1 else ""))
        self.export_button.setEnabled(bool(page.total))
        if page.lines:
            self.table.scrollToTop()

    def _load_more(self, before: int) -> None:
        where, book = self.shown_filter, self.ctx.book
        if where is None or self.ctx.locked_now():
            self.model.loading = False
            return
        self.progress.show()

        def more(page: AuditPage) -> None:
            self.progress.setVisible(self.busy)
            if where == self.shown_filter:  # not a page of a query since replaced
                self.model.append(page)

        def failed(exc: BaseException) -> None:
            self.model.loading = False
            self._failed(exc)

        self.ctx.tasks.run(lambda: book.audit.search(where, before=before), more, failed)

    # -- export -----------------------------------------------------------------------------------
    def export_csv(self) -> None:
        where = self.shown_filter
        if where is None or self.busy:
            return
        day = local_today(self.ctx.book.clock).isoformat()
        path = self.choose_csv_path(self, f"audit-trail-{day}.csv")
        if not path:
            return
        book = self.ctx.book

        def work() -> tuple[Path, int]:
            from keyworker.reports.files import write_private

            content = book.audit.export_csv(where)
            return write_private(path, content), len(content)

        def saved(result: tuple[Path, int]) -> None:
            target, size = result
            self._set_busy(False, "")
            self.saved_csv = target
            QSettings().setValue("admin/audit_export_folder", str(target.parent))
            self.status.setText(f"Saved to {target} ({human_size(size)}, owner-only). "
                                "Delete it once it is no longer needed.")

        self._set_busy(True, "Saving the CSV file…")
        self.ctx.tasks.run(work, saved, self._failed)

    # -- state ------------------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False, "")
        if isinstance(exc, ValidationError):  # a filter to put right: said beside the filters
            self._show_problem(" ".join(exc.fields.values()))
            return
        show_error(self, exc)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def _set_busy(self, busy: bool, message: str | None = None) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.show_button.setEnabled(not busy)
        self.export_button.setEnabled(not busy and bool(self.model.rows))
        if message is not None:
            self.status.setText(message)


def _choose_csv_path(parent: QWidget, suggested: str) -> str | None:
    folder = QSettings().value("admin/audit_export_folder") or None
    return choose_save_path(parent, "Export the audit trail", suggested, ".csv", folder)

"""The "Reviews due" page: overdue, due today and due this week, most urgent first; mine or the
whole unit; keyboard-driven (type to filter, arrows to move, Enter opens the resident)."""
from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from keyworker import review_schedule as rs
from keyworker.clock import format_date, local_today
from keyworker.security.permissions import Role
from ui.context import AppContext
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import OpeningTable, read_only_table

COLUMNS = ["Status", "Due", "Resident", "Reference", "Meeting", "Key worker"]
_URGENCY = {rs.OVERDUE: 0, rs.DUE_TODAY: 1, rs.DUE_THIS_WEEK: 2, rs.LATER: 3}
# A symbol and words for each status, so urgency never depends on colour alone.
_STATUS_TEXT = {rs.OVERDUE: "⚠ Overdue", rs.DUE_TODAY: "● Due today", rs.DUE_THIS_WEEK: "○ Due this week",
                rs.LATER: "Later"}


def flag_text(f: Any, whole_unit: bool = False) -> str:
    who = f" · {f.key_worker_name}" if whole_unit and f.key_worker_name else ""
    return (f"⚠ {f.resident_name} ({f.reference}): the referrer was not invited to the "
            f"{f.kind_label.lower()} of {format_date(f.held_on)}{who}")


def status_text(item: Any, today: date) -> str:
    text = _STATUS_TEXT.get(item.status, item.status)
    if item.status == rs.OVERDUE:
        days = (today - item.due_on).days
        text += f" by {days} day{'s' if days != 1 else ''}"
    return text


class DueModel(RowsModel):
    """Rows are the core's due-review items (frozen dataclasses), most urgent first."""

    headings = tuple(COLUMNS)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = date.today()

    def set_items(self, items: list[Any], today: date) -> None:
        self.beginResetModel()
        self.today = today
        self.rows = sorted(items, key=lambda i: (_URGENCY.get(i.status, 9), i.due_on, i.resident_name))
        self.endResetModel()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        it = self.rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            meeting = rs.KIND_LABELS.get(it.kind, it.kind)
            if it.kind in rs.REFERRER_KINDS:
                meeting = f"★ {meeting}"
            if it.after_planned_end:
                meeting = f"{meeting} — after the planned end"
            return [status_text(it, self.today), format_date(it.due_on), it.resident_name, it.reference,
                    meeting, it.key_worker_name or "—"][col]
        if role == Qt.ItemDataRole.UserRole:
            return it.resident_id
        if role == Qt.ItemDataRole.FontRole and it.status == rs.OVERDUE and col in (0, 1):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and col == 4 and it.after_planned_end:
            return (f"Due after the placement's planned end ({format_date(it.planned_end_on)}): plan the "
                    "discharge meeting instead, or record the longer stay.")
        if role == Qt.ItemDataRole.ToolTipRole and it.kind in rs.REFERRER_KINDS:
            return "The referrer must be invited to this meeting."
        return None



class ReviewsDuePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("reviewsDuePage")
        self.setAccessibleName("Reviews due")
        title = QLabel("Reviews due")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("pageSubtitle")
        self.mine = QRadioButton("&Mine")
        self.mine.setAccessibleName("Show my residents")
        self.unit = QRadioButton("&Whole unit")
        self.unit.setAccessibleName("Show the whole unit")
        # A key worker starts with their own residents; managers and night staff with the whole unit.
        (self.mine if ctx.book.actor.role == Role.KEY_WORKER else self.unit).setChecked(True)
        scope = QButtonGroup(self)
        scope.addButton(self.mine)
        scope.addButton(self.unit)
        scope.buttonToggled.connect(lambda _b, on: on and self.refresh())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type to filter by name or reference")
        self.filter.setAccessibleName("Filter reviews due")
        self.filter.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh reviews due")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(self.mine)
        bar.addWidget(self.unit)
        # Overdue and this week by default; every current resident's next review on request.
        self.later = QCheckBox("&Later ones too")
        self.later.setAccessibleName("Show reviews due after this week too")
        self.later.toggled.connect(lambda _on: self.refresh())
        bar.addWidget(self.later)
        bar.addSpacing(16)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.refresh_button)

        self.model = DueModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter.textChanged.connect(self._filter)
        self.table = OpeningTable()
        self.table.setObjectName("reviewsDueTable")
        self.table.setAccessibleName("Reviews due, most urgent first")
        self.table.setModel(self.proxy)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        # Meetings held without the referrer invited, until put right on the resident's Reviews tab.
        self.flags_title = QLabel()
        self.flags_title.setObjectName("sectionTitle")
        self.flags = QListWidget()
        self.flags.setObjectName("referrerFlags")
        self.flags.setAccessibleName("Meetings held without the referrer invited")
        self.flags.itemActivated.connect(self._open_flag)
        self.flags_title.hide()
        self.flags.hide()
        hint = QLabel("Enter opens the resident's record. Reviews are due at least every 14 days (4.1.5.4).")
        hint.setObjectName("muted")

        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.subtitle)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.empty, 1)
        lay.addWidget(self.flags_title)
        lay.addWidget(self.flags)
        lay.addWidget(hint)
        self.setFocusProxy(self.table)
        self.filter.returnPressed.connect(self._focus_first)

        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self.refresh)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self.refresh()

    @property
    def scope(self) -> str:
        return "mine" if self.mine.isChecked() else "unit"

    def _on_data_changed(self, area: str) -> None:
        if area in ("reviews", "care_plans", "residents"):
            self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, scope = self.ctx.book, self.scope
        later = self.later.isChecked()
        self.ctx.tasks.run(lambda: book.reviews.due(scope, include_later=later), self._show)
        self.ctx.tasks.run(lambda: book.reviews.referrer_flags(scope), self._show_flags)

    def _show_flags(self, flags: list[Any]) -> None:
        self.flags.clear()
        for f in flags:
            item = QListWidgetItem(flag_text(f, self.scope == "unit"))
            item.setData(Qt.ItemDataRole.UserRole, f.resident_id)
            item.setToolTip("Enter opens the resident's Reviews tab: use “Put right…” there.")
            self.flags.addItem(item)
        self.flags_title.setText(f"Referrer not invited ({len(flags)}): open one, then “Put right…” on its "
                                 "Reviews tab")
        self.flags.ensurePolished()  # the row height includes the stylesheet's item padding
        row = max(self.flags.sizeHintForRow(0), self.flags.fontMetrics().height() + 8) if flags else 0
        self.flags.setFixedHeight(min(len(flags), 4) * row + 6)
        self.flags_title.setVisible(bool(flags))
        self.flags.setVisible(bool(flags))

    def _open_flag(self, item: QListWidgetItem) -> None:
        resident_id = item.data(Qt.ItemDataRole.UserRole)
        if resident_id:
            self.ctx.open_resident(resident_id, tab="reviews")  # where the flag is put right

    def _show(self, items: list[Any]) -> None:
        today = local_today(self.ctx.book.clock)
        keep = self._current_resident()
        self.model.set_items([i for i in items if i.status != rs.LATER or self.later.isChecked()], today)
        counts = {k: sum(1 for i in self.model.rows if i.status == k)
                  for k in (rs.OVERDUE, rs.DUE_TODAY, rs.DUE_THIS_WEEK)}
        who = "your residents" if self.scope == "mine" else "the whole unit"
        self.subtitle.setText(f"{counts[rs.OVERDUE]} overdue, {counts[rs.DUE_TODAY]} due today, "
                              f"{counts[rs.DUE_THIS_WEEK]} due this week — {who}, as of {format_date(today)}")
        self.empty.setText("No current residents, so no reviews are due." if self.later.isChecked() else
                           "No reviews overdue or due this week. “Later ones too” shows every next review.")
        self.empty.setVisible(not self.model.rows)
        self.table.setVisible(bool(self.model.rows))  # an empty grid says nothing the sentence does not
        self._select(keep)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if self.proxy.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def _focus_first(self) -> None:
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))
            self.table.setFocus()

    def _current_resident(self) -> str | None:
        idx = self.table.currentIndex()
        return idx.data(Qt.ItemDataRole.UserRole) if idx.isValid() else None

    def _select(self, resident_id: str | None) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole) == resident_id:
                self.table.setCurrentIndex(self.proxy.index(row, 0))
                return
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def _open(self, index: QModelIndex) -> None:
        resident_id = index.data(Qt.ItemDataRole.UserRole)
        if resident_id:
            self.ctx.open_resident(resident_id)


def _register() -> None:
    from ui.main_window import register_page

    register_page("reviews_due", "Reviews due", ReviewsDuePage, 40)
    import ui.reviews.tab  # noqa: F401 - registers the resident's Reviews tab
    import ui.reviews.today  # noqa: F401 - registers the Today sections


_register()

"""The caseload table model: ID-based and lazy (after Anki's browser table model and Qt's
fetchMore example). A query gives the ids of every matching resident in display order; rows are
fetched ~100 at a time on the database thread as the view scrolls. Only the newest query's
results are ever shown: each query has a generation number and stale answers are dropped."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QApplication, QStyle

from keyworker.caseload_query import BATCH, CaseloadFilter, CaseloadRow
from keyworker.clock import format_date
from ui.context import AppContext
from ui.risk.words import label_text

Index = QModelIndex | QPersistentModelIndex
RESIDENT_ID_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Column:
    key: str  # also the sort key of keyworker.caseload_query
    title: str
    text: Callable[[CaseloadRow], str]
    tip: str


# Short enough to leave room for the flags; the full label is the cell's tooltip.
SHORT_SETTINGS = {"24h_residential": "24-hour", "non_24h_residential": "Non-24-hour", "day_programme": "Day programme"}

# In order of importance: what a key worker scans for first is who, how risky, and what needs attention
# (at 1024 px the columns after the week are scrolled to).
COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", lambda r: r.name, "Family name, given name (preferred name)"),
    Column("risk", "Risk", lambda r: label_text(r.risk_level), "Overall risk level from the current risk assessment"),
    Column("flags", "Flags", lambda r: r.flags_text, "What needs attention"),
    Column("next_review", "Next review", lambda r: format_date(r.next_review_on),
           "Next review due: the date agreed at the last review, or 14 days after admission"),
    Column("week", "Week", lambda r: r.week_text, "Week of the planned stay"),
    Column("key_worker", "Key worker", lambda r: r.key_worker, "Named key worker for this stay"),
    Column("reference", "Reference", lambda r: r.reference, "The resident's reference"),
    Column("admitted", "Admitted", lambda r: format_date(r.admitted_on), "Date of admission"),
    Column("setting", "Setting", lambda r: SHORT_SETTINGS.get(r.setting_code or "", r.setting), "Programme setting"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
FLAGS_COLUMN = COLUMN_KEYS.index("flags")
# Shown until a user chooses otherwise (header menu); the name is always shown.
DEFAULT_HIDDEN = frozenset({"admitted", "setting"})
# What data() answers; every other role (font, alignment, colours ... the view asks for each of them
# for every cell it sizes or paints) is turned away before any other work.
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ANSWERED = frozenset({_DISPLAY, RESIDENT_ID_ROLE, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole,
                       Qt.ItemDataRole.DecorationRole})
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_WARNING_FLAGS = frozenset({"decision_overdue", "plan_incomplete", "review_overdue", "risk_review_overdue",
                            "summary_due", "summary_overdue"})


class CaseloadModel(QAbstractTableModel):
    """Rows are `CaseloadRow`s for `self.ids[:rowCount()]`; more arrive through fetchMore."""

    loaded = Signal(int)  # a new query's answer is shown: how many residents match
    failed = Signal(object)

    def __init__(self, ctx: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filter = CaseloadFilter(actor_id=ctx.book.actor.id)
        self.ids: list[str] = []
        self.rows: list[CaseloadRow] = []
        self._texts: dict[int, tuple[str, ...]] = {}  # row -> each column's text, made once per query
        self.generation = 0  # bumped by every query; answers for an older one are dropped
        self.querying = False
        self._fetching = False
        style = QApplication.style()
        self.warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.info_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)

    # -- queries -----------------------------------------------------------------------------
    def set_filter(self, flt: CaseloadFilter) -> None:
        self.filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Run the current filter: ids and the first batch of rows in one task off the UI thread."""
        self.generation += 1
        gen, flt, book = self.generation, self.filter, self.ctx.book
        self.querying = True

        def work() -> tuple[int, list[str], list[CaseloadRow]] | None:
            if gen != self.generation:  # a newer keystroke is already queued: skip the work
                return None
            ids = book.caseload.ids(flt)
            return gen, ids, book.caseload.rows(ids[:BATCH])

        self.ctx.tasks.run(work, self._answered, lambda exc: self._failed(gen, exc))

    def _answered(self, answer: tuple[int, list[str], list[CaseloadRow]] | None) -> None:
        if answer is None or answer[0] != self.generation:
            return
        _gen, ids, rows = answer
        self.beginResetModel()
        self.ids, self.rows = ids, rows
        self._texts.clear()
        self._fetching = False
        self.endResetModel()
        self.querying = False
        self.loaded.emit(len(ids))

    def _failed(self, gen: int, exc: BaseException) -> None:
        if gen == self.generation:
            self.querying = False
            self._fetching = False
            self.failed.emit(exc)

    # -- lazy rows ---------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < len(self.ids) and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._fetching or len(self.rows) >= len(self.ids):
            return
        self._fetching = True
        gen, book = self.generation, self.ctx.book
        wanted = self.ids[len(self.rows):len(self.rows) + BATCH]
        self.ctx.tasks.run(lambda: book.caseload.rows(wanted), lambda rows: self._more(gen, wanted, rows),
                           lambda exc: self._failed(gen, exc))

    def _more(self, gen: int, wanted: list[str], rows: list[CaseloadRow]) -> None:
        if gen != self.generation:
            return
        self._fetching = False
        if len(rows) < len(wanted):  # removed since the query ran: drop them from the list too
            gone = set(wanted) - {r.resident_id for r in rows}
            self.ids = [i for i in self.ids if i not in gone]
        if rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()

    def fetch_all_loaded(self) -> bool:
        return len(self.rows) >= len(self.ids)

    # -- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        col = COLUMNS[section]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return col.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{col.tip}. Click to sort; right-click to choose the columns shown."
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ANSWERED:
            return None
        r, c = index.row(), index.column()  # -1 for an invalid index
        if not 0 <= r < len(self.rows) or not 0 <= c < len(COLUMNS):
            return None
        if role == _DISPLAY:
            texts = self._texts.get(r)
            if texts is None:
                texts = self._texts[r] = tuple(col.text(self.rows[r]) for col in COLUMNS)
            return texts[c]
        row, col = self.rows[r], COLUMNS[c]
        if role == RESIDENT_ID_ROLE:
            return row.resident_id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            value = col.text(row)
            if col.key == "flags":
                return f"Flags: {value}" if value else "No flags"
            return f"{col.title}: {value or 'none'}"
        if role == Qt.ItemDataRole.DecorationRole and col.key == "flags" and row.flags:
            return self.warning_icon if any(f.code in _WARNING_FLAGS for f in row.flags) else self.info_icon
        return None

    def _tooltip(self, row: CaseloadRow, col: Column) -> str | None:
        if col.key == "flags":
            return "\n".join(f"{f.text}: {f.detail}" for f in row.flags) or "Nothing needs attention."
        if col.key == "risk":
            if row.risk_review_on is None:
                return "No risk assessment recorded yet."
            due = "Risk review overdue since" if row.risk_overdue else "Next risk review by"
            return f"{label_text(row.risk_level)} risk. {due} {format_date(row.risk_review_on)}."
        if col.key == "setting":
            return row.setting or None
        if col.key == "name":
            return f"{row.name} — {row.reference}. Press Enter to open the record."
        return col.text(row) or None  # the full text of a cell too narrow for it

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header clicks re-query the ids in the new order (the database sorts, not the view)."""
        if not 0 <= column < len(COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (self.filter.sort_key, self.filter.descending) == (COLUMNS[column].key, descending):
            return
        self.set_filter(self.filter.with_(sort_key=COLUMNS[column].key, descending=descending))

    def resident_id(self, row: int) -> str | None:
        return self.rows[row].resident_id if 0 <= row < len(self.rows) else None

    def row_of(self, resident_id: str) -> int:
        for i, r in enumerate(self.rows):
            if r.resident_id == resident_id:
                return i
        return -1

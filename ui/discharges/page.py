"""The "Discharges & follow-ups" page (issue 13): four sections, each a list with its count in the
heading and a plain sentence when it is empty. Enter or a double-click on a row opens the resident
on their Discharge tab.

- Awaiting senior confirmation: unplanned discharges two staff have not yet agreed (4.1.7.6).
- Summaries due within 24 hours: the complete discharge summary's countdown ("due in 5 h",
  "overdue by 2 h"), overdue ones in the warning style (4.1.7.13).
- Follow-ups due: the 3- and 6-month follow-ups after a completed programme (4.1.8), overdue first,
  mine or the whole unit; record a try or the outcome from here (ui/discharges/follow_up_dialog.py).
- Recent discharges: the last 30 days by default, or the dates chosen.

Everything is read off the UI thread through ctx.tasks, in one task, and read again when
residents, discharges, follow-ups or the outbox change."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, format_datetime, local_today
from keyworker.security.permissions import Permission, Role
from ui.context import AppContext
from ui.errors import show_error
from ui.forms import UkDateEdit
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import OpeningTable, read_only_table

RECENT_DAYS = 30
FOLLOW_UP_DAYS_AHEAD = 14
MAX_VISIBLE_ROWS = 6  # longer lists scroll inside their section
WARNING_INK = QColor("#a4262c")  # the stylesheet's "problem" colour, 6.5:1 on white
REFRESH_AREAS = ("residents", "outbox", "discharges", "follow_ups")


def span_text(seconds: float) -> str:
    """3 h 05 min, 45 min, 2 h (whole hours shown without minutes), 9 days."""
    from ui.discharges.today import span_text as span

    return span(seconds, whole_hours_short=True)


def countdown_text(due_at: datetime, now: datetime) -> str:
    """"○ Due in 5 h" or "⚠ Overdue by 2 h" for the complete discharge summary."""
    seconds = (due_at - now).total_seconds()
    return f"⚠ Overdue by {span_text(seconds)}" if seconds < 0 else f"○ Due in {span_text(seconds)}"


def follow_up_status(row: Any, today: date) -> str:
    if row.overdue:
        days = row.days_overdue
        return f"⚠ Overdue by {days} day{'s' if days != 1 else ''}"
    if row.due_on == today:
        return "● Due today"
    days = (row.due_on - today).days
    return f"○ Due in {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class Column:
    heading: str
    text: Callable[[Any], str]


class SectionModel(RowsModel):
    """A section's rows (the core's frozen rows) under its columns; `warn(row)` marks a row in the
    warning style (bold, dark red, and its words already say why)."""

    def __init__(self, columns: list[Column], warn: Callable[[Any], bool] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.headings = tuple(c.heading for c in columns)
        self.warn = warn or (lambda _r: False)

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.columns[index.column()].text(row)
        if role == Qt.ItemDataRole.UserRole:
            return row.resident_id
        if role == Qt.ItemDataRole.UserRole + 1:
            return row
        if role == Qt.ItemDataRole.ForegroundRole and self.warn(row):
            return WARNING_INK
        if role == Qt.ItemDataRole.FontRole and self.warn(row) and index.column() == 0:
            f = QFont()
            f.setBold(True)
            return f
        return None


class Section(QWidget):
    """A heading with the count, an optional bar of controls, the list, and the empty sentence."""

    def __init__(self, key: str, title: str, columns: list[Column], open_row: Callable[[Any], None], *,
                 warn: Callable[[Any], bool] | None = None, select_first: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.select_first = select_first  # the row the section's buttons act on is shown chosen
        self.title_text = title
        self.setObjectName(f"section_{key}")
        self.heading = QLabel(title)
        self.heading.setObjectName("sectionTitle")
        self.bar = QHBoxLayout()
        self.bar.setContentsMargins(0, 0, 0, 0)
        self.model = SectionModel(columns, warn, self)
        self.table = OpeningTable()
        self.table.setObjectName(f"{key}Table")
        self.table.setAccessibleName(title)
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # The columns fit at 1024 px wide (tests/ui/test_discharges_page.py): no sideways scrolling.
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.table.activated.connect(lambda idx: open_row(idx.data(Qt.ItemDataRole.UserRole + 1)))
        self.table.doubleClicked.connect(lambda idx: open_row(idx.data(Qt.ItemDataRole.UserRole + 1)))
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 8)
        lay.addWidget(self.heading)
        lay.addLayout(self.bar)
        lay.addWidget(self.table)
        lay.addWidget(self.empty)

    def show_rows(self, rows: list[Any], empty_text: str) -> None:
        keep = self.current()
        self.model.set_rows(rows)
        self.heading.setText(f"{self.title_text} ({len(rows)})")
        self.empty.setText(empty_text)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        if rows:
            ids = [getattr(r, "id", None) for r in rows]
            at = ids.index(getattr(keep, "id", None)) if keep is not None and getattr(keep, "id", None) in ids else 0
            if self.select_first or keep is not None and self.table.selectionModel().hasSelection():
                self.table.setCurrentIndex(self.model.index(at, 0))
            else:  # Enter still opens the first row, without four highlighted rows on the page
                self.table.selectionModel().setCurrentIndex(self.model.index(at, 0),
                                                            QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.ensurePolished()
            row_h = self.table.verticalHeader().defaultSectionSize()
            header_h = self.table.horizontalHeader().sizeHint().height()
            shown = min(len(rows), MAX_VISIBLE_ROWS)
            self.table.setFixedHeight(header_h + shown * row_h + 2 * self.table.frameWidth())

    def current(self) -> Any:
        idx = self.table.currentIndex()
        return idx.data(Qt.ItemDataRole.UserRole + 1) if idx.isValid() else None


class DischargesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("dischargesPage")
        self.setAccessibleName("Discharges & follow-ups")
        self.dialog: Any = None
        actor = ctx.book.actor
        self.can_follow_up = actor.can(Permission.RECORD_KEY_WORK)
        title = QLabel("Discharges & follow-ups")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("pageSubtitle")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.setAccessibleName("Refresh discharges and follow-ups")
        self.refresh_button.clicked.connect(self.refresh)
        # Managers print discharge summaries from here as from the Reports page.
        self.print_button = QPushButton("&Print summaries…")
        self.print_button.setToolTip("Print or save the discharge summaries of a date range")
        self.print_button.clicked.connect(self.print_summaries)
        top = QHBoxLayout()
        top.addWidget(self.subtitle, 1)
        top.addWidget(self.print_button)
        top.addWidget(self.refresh_button)
        self.now = ctx.book.clock.now()
        self.today = local_today(ctx.book.clock)

        def name_columns() -> list[Column]:
            return [Column("Resident", lambda r: r.resident_name), Column("Reference", lambda r: r.reference)]

        self.awaiting = Section("awaiting", "Awaiting senior confirmation", [
            Column("Waiting", lambda r: span_text((self.now - r.occurred_at).total_seconds())),
            *name_columns(),
            Column("Discharge", lambda r: r.type_label),
            Column("When", lambda r: format_datetime(r.occurred_at)),
        ], self._open)
        self.summaries = Section("summaries", "Summaries due within 24 hours", [
            Column("Countdown", lambda r: countdown_text(r.summary_due_at, self.now)),
            Column("Due by", lambda r: format_datetime(r.summary_due_at)),
            *name_columns(),
            Column("Discharge", lambda r: r.type_label),
            Column("When", lambda r: format_datetime(r.occurred_at)),
        ], self._open, warn=lambda r: bool(r.summary_overdue))
        self.follow_ups = Section("follow_ups", "Follow-ups due", [
            Column("Status", lambda r: follow_up_status(r, self.today)),
            Column("Due", lambda r: format_date(r.due_on)),
            *name_columns(),
            Column("Follow-up", lambda r: f"{r.months} months"),
            Column("Tries", lambda r: str(r.attempts)),
            Column("Last try", lambda r: r.last_attempt_text),
            Column("Key worker", lambda r: r.key_worker_name or "—"),
        ], self._open, warn=lambda r: bool(r.overdue), select_first=True)
        self.recent = Section("recent", "Recent discharges", [
            Column("When", lambda r: format_datetime(r.occurred_at)),
            *name_columns(),
            Column("Discharge", lambda r: r.type_label),
            Column("State", lambda r: r.state_label),
        ], self._open)

        # Follow-ups: whose, and the two things to record.
        self.mine = QRadioButton("&Mine")
        self.mine.setAccessibleName("Show the follow-ups of my former residents")
        self.unit = QRadioButton("&Whole unit")
        self.unit.setAccessibleName("Show the follow-ups of the whole unit")
        (self.mine if actor.role == Role.KEY_WORKER else self.unit).setChecked(True)
        scope = QButtonGroup(self)
        scope.addButton(self.mine)
        scope.addButton(self.unit)
        scope.buttonToggled.connect(lambda _b, on: self.refresh() if on else None)
        self.attempt_button = QPushButton("Record a &try…")
        self.attempt_button.setAccessibleName("Record a try at reaching the person")
        self.attempt_button.clicked.connect(self.record_attempt)
        self.outcome_button = QPushButton("Record the &outcome…")
        self.outcome_button.setAccessibleName("Record the outcome of the follow-up")
        self.outcome_button.clicked.connect(self.record_outcome)
        fb = self.follow_ups.bar
        fb.addWidget(self.mine)
        fb.addWidget(self.unit)
        fb.addStretch(1)
        fb.addWidget(self.attempt_button)
        fb.addWidget(self.outcome_button)
        self.attempt_button.setVisible(self.can_follow_up)
        self.outcome_button.setVisible(self.can_follow_up)

        # Recent discharges: the dates.
        self.date_from = UkDateEdit(self.today - timedelta(days=RECENT_DAYS))
        self.date_from.setAccessibleName("Discharges from")
        self.date_to = UkDateEdit(self.today)
        self.date_to.setAccessibleName("Discharges to")
        self.show_button = QPushButton("&Show")
        self.show_button.setAccessibleName("Show the discharges between these dates")
        self.show_button.clicked.connect(self.refresh)
        self.last_30 = QPushButton("&Last 30 days")
        self.last_30.clicked.connect(self._last_30_days)
        rb = self.recent.bar
        from_label = QLabel("F&rom")
        from_label.setBuddy(self.date_from)
        to_label = QLabel("T&o")
        to_label.setBuddy(self.date_to)
        for w in (from_label, self.date_from, to_label, self.date_to, self.show_button, self.last_30):
            rb.addWidget(w)
        rb.addStretch(1)
        self.range_error = QLabel()
        self.range_error.setObjectName("problem")
        self.range_error.hide()
        self.recent.layout().insertWidget(2, self.range_error)  # type: ignore[union-attr]

        body = QWidget()
        body.setObjectName("pageScrollBody")
        bl = QVBoxLayout(body)
        bl.setContentsMargins(0, 0, 8, 0)
        for s in (self.awaiting, self.summaries, self.follow_ups, self.recent):
            bl.addWidget(s)
        bl.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("pageScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.scroll_area = scroll
        hint = QLabel("Enter opens the resident's record on the Discharge tab.")
        hint.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(top)
        lay.addWidget(scroll, 1)
        lay.addWidget(hint)
        self.follow_ups.table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        self._update_buttons()

        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self.refresh)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self.refresh()

    # -- loading ---------------------------------------------------------------------------------
    @property
    def scope(self) -> str:
        return "mine" if self.mine.isChecked() else "unit"

    def _on_data_changed(self, area: str) -> None:
        if area in REFRESH_AREAS:
            self.refresh()

    def _last_30_days(self) -> None:
        today = local_today(self.ctx.book.clock)
        self.date_from.set_value(today - timedelta(days=RECENT_DAYS))
        self.date_to.set_value(today)
        self.refresh()

    def print_summaries(self) -> None:
        from ui.discharges.print_summaries import open_print_summaries

        self.print_dialog = open_print_summaries(self.ctx, self)

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, scope = self.ctx.book, self.scope
        start, end = self.date_from.value(), self.date_to.value()
        bad_range = start is None or end is None or end < start
        self.range_error.setText("The “to” date is before the “from” date." if bad_range else "")
        self.range_error.setVisible(bad_range)

        def load() -> tuple[Any, ...]:
            now, today = book.clock.now(), local_today(book.clock)
            recent = [] if bad_range else list(reversed(book.discharges.between(start, end)))
            return (now, today, book.discharges.awaiting_senior(), book.discharges.due_summaries(),
                    book.follow_ups.due(include_future_days=FOLLOW_UP_DAYS_AHEAD, scope=scope), recent)

        self.ctx.tasks.run(load, lambda r: self._show(*r), self._failed)

    def _show(self, now: datetime, today: date, awaiting: list[Any], summaries: list[Any], follow_ups: list[Any],
              recent: list[Any]) -> None:
        self.now, self.today = now, today
        self.subtitle.setText(f"As of {format_datetime(now)}. Overdue items are marked ⚠.")
        self.awaiting.show_rows(awaiting, "No discharges are waiting for a senior to confirm them.")
        overdue = sum(1 for r in summaries if r.summary_overdue)
        self.summaries.show_rows(summaries, "No complete discharge summaries are due: every one has been sent.")
        if overdue:
            self.summaries.heading.setText(f"{self.summaries.title_text} ({len(summaries)}, {overdue} overdue)")
        whose = "your former residents" if self.scope == "mine" else "the unit"
        self.follow_ups.show_rows(follow_ups, f"No follow-ups overdue or due in the next {FOLLOW_UP_DAYS_AHEAD} "
                                              f"days for {whose}.")
        start, end = self.date_from.value(), self.date_to.value()
        self.recent.show_rows(recent, f"No discharges from {format_date(start)} to {format_date(end)}."
                              if not self.range_error.isVisible() else "Choose a “from” date before the “to” date.")
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)

    # -- acting ----------------------------------------------------------------------------------
    def _open(self, row: Any) -> None:
        if row is not None and getattr(row, "resident_id", None):
            self.ctx.open_resident(row.resident_id, tab="discharge")

    def _update_buttons(self) -> None:
        chosen = bool(self.follow_ups.model.rows) and self.follow_ups.current() is not None
        self.attempt_button.setEnabled(self.can_follow_up and chosen)
        self.outcome_button.setEnabled(self.can_follow_up and chosen)

    def _open_dialog(self, dlg: Any) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        dlg.open()

    def record_attempt(self) -> None:
        from ui.discharges.follow_up_dialog import AttemptDialog

        row = self.follow_ups.current()
        if row is not None and self.can_follow_up:
            self._open_dialog(AttemptDialog(self, self.ctx, row))

    def record_outcome(self) -> None:
        from ui.discharges.follow_up_dialog import OutcomeDialog

        row = self.follow_ups.current()
        if row is not None and self.can_follow_up:
            self._open_dialog(OutcomeDialog(self, self.ctx, row))


def _register() -> None:
    from ui.main_window import register_page

    register_page("discharges", "Discharges & follow-ups", DischargesPage, order=50)


_register()

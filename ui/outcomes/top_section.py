"""The TOP page of the resident's Outcomes tab (the integrator adds it to part O1's tab as "TOP"):
the TOPs the resident's stays call for with the next one due (overdue ones first, in words and a
symbol, never colour alone), the history table, the chart of scores over time (the same drawing
the PDFs use) and "New TOP…", which opens the form with the next due stage chosen."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.charts.lines import top_chart
from keyworker.clock import format_date
from keyworker.security.permissions import Permission
from keyworker.top import DONE, MISSED, OPTIONAL, OVERDUE, DueTop, TopView
from ui.charts import ChartView
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

HISTORY = ["Date", "Stage", "Scores", "Days used (of 28)", "By"]
SCORES_HINT = "Scores: psychological health / physical health / quality of life, 0 (poor) to 20 (good)."
DUE = ["TOP", "Due by", "State"]
SYMBOLS = {OVERDUE: "⚠ ", DONE: "✓ ", MISSED: "✗ ", OPTIONAL: "○ "}


def used_text(t: TopView) -> str:
    used = t.substances_used
    return ", ".join(f"{s.short_label} {s.total_days}" for s in used) if used else "None"


def next_due_text(items: list[DueTop]) -> str:
    overdue = [d for d in items if d.state == OVERDUE]
    if overdue:
        first = overdue[0]
        more = f" (and {len(overdue) - 1} more)" if len(overdue) > 1 else ""
        return f"⚠ {first.label} overdue: it was due by {format_date(first.due_on)}{more}."
    ahead = [d for d in items if d.counted and d.open]
    if ahead:
        return f"Next: {ahead[0].label} due by {format_date(ahead[0].due_on)}."
    return "No TOP is due."


class TopSection(QWidget):
    refresh_areas = ("top", "discharges", "residents")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.due: list[DueTop] = []
        self.tops: list[TopView] = []
        self.dialog: Any = None
        self.setObjectName("topSection")
        self.setAccessibleName("Treatment Outcomes Profile")
        self.next_due = QLabel()
        self.next_due.setObjectName("topNextDue")
        self.next_due.setWordWrap(True)
        self.new_button = QPushButton("&New TOP…")
        self.new_button.setObjectName("newTop")
        self.new_button.setAccessibleName("New TOP")
        self.new_button.clicked.connect(self.new_top)
        can = ctx.book.actor.can(Permission.RECORD_KEY_WORK)
        self.new_button.setEnabled(can)
        if not can:
            self.new_button.setToolTip("Your role reads TOPs but does not record them.")
        top = QHBoxLayout()
        top.addWidget(self.next_due, 1)
        top.addWidget(self.new_button)

        self.due_table = QTableWidget(0, len(DUE))
        self.due_table.setObjectName("topDueTable")
        self.due_table.setAccessibleName("TOPs due for this resident")
        self.due_table.setHorizontalHeaderLabels(DUE)
        read_only_table(self.due_table)
        self.due_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.due_table.horizontalHeader().setStretchLastSection(True)
        self.history = QTableWidget(0, len(HISTORY))
        self.history.setObjectName("topHistory")
        self.history.setAccessibleName("TOPs recorded, oldest first")
        self.history.setHorizontalHeaderLabels(HISTORY)
        self.history.horizontalHeaderItem(2).setToolTip(SCORES_HINT)
        read_only_table(self.history)
        hh = self.history.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history.setWordWrap(True)
        self.empty = QLabel("No TOPs recorded yet.")
        self.empty.setObjectName("muted")
        self.chart = ChartView()
        self.chart.setObjectName("topChart")
        self.chart.setMinimumSize(360, 240)

        lists = QWidget()
        ll = QVBoxLayout(lists)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Due</b>"))
        ll.addWidget(self.due_table)
        ll.addWidget(QLabel("<b>History</b>"))
        hint = QLabel(SCORES_HINT)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        ll.addWidget(hint)
        ll.addWidget(self.empty)
        ll.addWidget(self.history, 2)
        lists.setMinimumWidth(440)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(lists)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        ctx.state.data_changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, area: str) -> None:
        if area in self.refresh_areas:
            self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: (book.top.due(rid), book.top.for_resident(rid)), self._loaded,
                           lambda exc: show_error(self, exc))

    def _loaded(self, result: tuple[list[DueTop], list[TopView]]) -> None:
        self.due, self.tops = result
        self.next_due.setText(next_due_text(self.due))
        order = {OVERDUE: 0}
        shown = sorted(self.due, key=lambda d: (order.get(d.state, 1), d.due_on))
        self.due_table.setRowCount(len(shown))
        for r, d in enumerate(shown):
            state = SYMBOLS.get(d.state, "") + d.state_label
            if d.state == DONE and d.done_on:
                state += f" on {format_date(d.done_on)}"
            for c, text in enumerate([d.label, format_date(d.due_on), state]):
                self.due_table.setItem(r, c, QTableWidgetItem(text))
        self.history.setRowCount(len(self.tops))
        for r, t in enumerate(self.tops):
            cells = [format_date(t.interview_on), t.stage_label,
                     f"{t.psychological_health} / {t.physical_health} / {t.quality_of_life}", used_text(t),
                     t.completed_by_name or "—"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, t.id)
                self.history.setItem(r, c, item)
        self.history.resizeRowsToContents()
        self._fit_height(self.due_table)
        self.empty.setVisible(not self.tops)
        self.history.setVisible(bool(self.tops))
        self.chart.set_drawing(top_chart(self.tops))

    @staticmethod
    def _fit_height(table: QTableWidget) -> None:
        """The due list is short: as tall as its rows, so the history gets the room."""
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setMaximumHeight(table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 4)

    def suggested_stage(self) -> str | None:
        """The stage of the first TOP still to do (overdue first), for the form."""
        open_items = sorted((d for d in self.due if d.open), key=lambda d: (d.state != OVERDUE, d.due_on))
        return open_items[0].stage if open_items else None

    def new_top(self) -> None:
        from ui.outcomes.top_dialog import TopDialog

        if not self.new_button.isEnabled():
            return
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self.dialog = TopDialog(self, self.ctx, self.resident_id, stage=self.suggested_stage())
        self.dialog.finished.connect(self._dialog_done)
        self.dialog.open()

    def _dialog_done(self, _code: int) -> None:
        self.dialog = None


__all__ = ["TopSection"]

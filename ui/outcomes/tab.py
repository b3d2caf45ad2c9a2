"""The resident record's "Outcomes" tab: an inner tab widget whose first page is the Outcome Star
(the radar chart of the latest reading against the first of its stay, or any reading picked in
"Compare with", the distance travelled per area, what is due and the history of readings);
other parts add their pages with `OutcomesTab.add_page(title, widget)` (the TOP page). Data is
read off the UI thread; each read is audited by the service."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from keyworker import outcome_star_definitions as defs
from keyworker.charts.radar import star_chart
from keyworker.clock import format_date
from keyworker.outcome_star import StarDistance, StarDue, StarReadingView, distance_between
from keyworker.security.permissions import Permission
from ui.charts import ChartView
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table


@dataclass(frozen=True)
class StarState:
    history: list[StarReadingView]  # newest first, corrected ones too (marked)
    due: StarDue

    @property
    def readings(self) -> list[StarReadingView]:
        """The readings that count (corrections in, what they replaced out), newest first."""
        return [r for r in self.history if not r.superseded]


def load_state(book: Any, resident_id: str) -> StarState:
    """Runs on the database thread."""
    return StarState(book.outcome_star.readings(resident_id, include_superseded=True),
                     book.outcome_star.due(resident_id))


def default_compare(readings: list[StarReadingView]) -> StarReadingView | None:
    """The first reading of the latest reading's stay (None with a single reading)."""
    if len(readings) < 2:
        return None
    latest = readings[0]
    same_stay = [r for r in readings if r.admission_id == latest.admission_id and r.id != latest.id]
    return same_stay[-1] if same_stay else readings[1]


def definition_of(r: StarReadingView | None) -> defs.StarDefinition:
    """The definition a reading was scored on (the current one if it is no longer installed).
    A broken definition file raises OutcomeStarDefinitionError, naming the file and the problem."""
    if r is not None:
        try:
            return defs.get(r.definition_id, r.definition_version)
        except KeyError:
            pass
    return defs.current()


def _table(columns: list[str], name: str, accessible: str) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setAccessibleName(accessible)
    t.setHorizontalHeaderLabels(columns)
    read_only_table(t)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setStretchLastSection(True)
    t.setWordWrap(False)
    return t


class StarPage(QWidget):
    """The "Outcome Star" page."""

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.state: StarState | None = None
        self.setObjectName("outcomeStarPage")
        self.new_button = QPushButton("&New reading…")
        self.new_button.setAccessibleName("New Outcome Star reading")
        self.new_button.clicked.connect(self.new_reading)
        can = ctx.book.actor.can(Permission.RECORD_KEY_WORK)
        self.new_button.setVisible(can)
        self.correct_button = QPushButton("C&orrect…")
        self.correct_button.setAccessibleName("Correct the chosen reading")
        self.correct_button.setToolTip("A correction replaces the reading; the original stays in the history")
        self.correct_button.clicked.connect(self.correct)
        self.correct_button.setEnabled(False)
        self.correct_button.setVisible(can)
        self.due_label = QLabel("Loading Outcome Star readings…")
        self.due_label.setObjectName("starDue")
        self.due_label.setWordWrap(True)
        self.compare = QComboBox()
        self.compare.setObjectName("starCompare")
        self.compare.setAccessibleName("Compare the latest reading with")
        self.compare.currentIndexChanged.connect(lambda _i: self._draw())
        compare_label = QLabel("&Compare with:")
        compare_label.setBuddy(self.compare)
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addWidget(self.correct_button)
        top.addWidget(self.due_label, 1)
        top.addWidget(compare_label)
        top.addWidget(self.compare)

        self.chart = ChartView()
        self.chart.setObjectName("starChart")
        self.distance = _table(["Area", "From", "To", "Change", "Stage"], "starDistance",
                               "Distance travelled per area")
        self.distance_note = QLabel()
        self.distance_note.setObjectName("hint")
        self.distance_note.setWordWrap(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>Distance travelled</b>")
        rl.addWidget(heading)
        rl.addWidget(self.distance_note)
        rl.addWidget(self.distance, 1)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.chart)
        upper.addWidget(right)
        upper.setStretchFactor(0, 1)
        upper.setStretchFactor(1, 1)
        right.setMinimumWidth(460)
        upper.setChildrenCollapsible(False)

        self.history = _table(["Date", "When", "Total", "Completed by", "Star"], "starHistory",
                              "Outcome Star readings, newest first")
        self.history.currentCellChanged.connect(lambda *_a: self._history_chosen())
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Readings</b>"))
        ll.addWidget(self.history, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 2)
        self.history.setMinimumHeight(110)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: load_state(book, rid), self._loaded, lambda e: show_error(self, e))

    def _loaded(self, state: StarState) -> None:
        self.state = state
        rs = state.readings
        self.due_label.setText(state.due.message or ("No readings yet." if not rs else ""))
        self.compare.blockSignals(True)
        self.compare.clear()
        self.compare.addItem("Nothing (latest only)", None)
        for r in rs[1:]:
            self.compare.addItem(r.title, r.id)
        first = default_compare(rs)
        self.compare.setCurrentIndex(max(0, self.compare.findData(first.id)) if first else 0)
        self.compare.setEnabled(len(rs) > 1)
        self.compare.blockSignals(False)
        hist = state.history
        self.history.setRowCount(len(hist))
        for row, r in enumerate(hist):
            star = f"{r.definition_name} v{r.definition_version}"
            if r.superseded:
                star += " (replaced by a correction)"
            elif r.supersedes_id:
                star += f" ✎ corrected: {r.correction_reason or ''}"
            cells = [format_date(r.taken_on), r.stage_label, str(r.total), r.completed_by, star]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if r.superseded:
                    f = item.font()
                    f.setStrikeOut(True)
                    item.setFont(f)
                self.history.setItem(row, c, item)
        self._history_chosen()
        self._draw()

    def chosen(self) -> StarReadingView | None:
        row = self.history.currentRow()
        hist = self.state.history if self.state else []
        return hist[row] if 0 <= row < len(hist) else None

    def _history_chosen(self) -> None:
        r = self.chosen()
        self.correct_button.setEnabled(r is not None and not r.superseded)

    def compared(self) -> StarReadingView | None:
        rid = self.compare.currentData()
        return next((r for r in self.state.readings if r.id == rid), None) if self.state and rid else None

    def _draw(self) -> None:
        rs = self.state.readings if self.state else []
        latest = rs[0] if rs else None
        compare = self.compared()
        try:
            definition = definition_of(latest)
        except defs.OutcomeStarDefinitionError as e:
            self.chart.set_drawing(None)
            self.due_label.setText(f"The Outcome Star definition cannot be used: {e}")
            return
        self.chart.set_drawing(star_chart(definition, latest, compare))
        d: StarDistance | None = distance_between(compare, latest) if latest and compare else None
        self._show_distance(d, latest)

    def _show_distance(self, d: StarDistance | None, latest: StarReadingView | None) -> None:
        if d is None:
            self.distance.setRowCount(len(latest.scores) if latest else 0)
            for row, a in enumerate(latest.scores if latest else ()):
                for c, text in enumerate([a.name, "", str(a.score), "", a.stage]):
                    self.distance.setItem(row, c, QTableWidgetItem(text))
            self.distance_note.setText("One reading so far: the distance travelled shows from the second."
                                       if latest else "No readings yet.")
            return
        self.distance_note.setText(
            f"From {format_date(d.first.taken_on)} to {format_date(d.latest.taken_on)}: "
            f"{d.improved} of {len(d.areas)} areas improved, total change {d.total_change:+d}.")
        self.distance.setRowCount(len(d.areas))
        for row, a in enumerate(d.areas):
            for c, text in enumerate([a.name, str(a.first), str(a.latest), a.change_text, a.stage_text]):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.distance.setItem(row, c, item)

    def correct(self) -> None:
        from ui.outcomes.star_dialog import open_star_dialog

        r = self.chosen()
        if r is not None and not r.superseded:
            open_star_dialog(self.ctx, self, self.resident_id, reading=r)

    def new_reading(self) -> None:
        from ui.outcomes.star_dialog import open_star_dialog

        try:
            defs.current()
        except defs.OutcomeStarDefinitionError as e:
            QMessageBox.warning(self, "Outcome Star", f"The Outcome Star definition cannot be used: {e}")
            return
        due = self.state.due if self.state else None
        has_stay_readings = bool(self.state and due and any(r.admission_id == due.admission_id
                                                             for r in self.state.readings))
        stage = ("admission" if due and due.admission_missing and not has_stay_readings
                 else "discharge" if due and due.discharge_due else "review")
        open_star_dialog(self.ctx, self, self.resident_id, stage=stage)


class OutcomesTab(QWidget):
    refresh_areas = ("outcomes", "top")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.setObjectName("outcomesTab")
        self.setAccessibleName("Outcomes")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("outcomesPages")
        self.star = StarPage(ctx, resident_id)
        self.tabs.addTab(self.star, "Outcome Star")
        from ui.outcomes.top_section import TopSection

        self.add_page("TOP", TopSection(ctx, resident_id))  # refreshes itself on "top"
        from ui.outcomes.surveys_page import SurveysPage

        self.add_page("Surveys", SurveysPage(ctx, resident_id))  # refreshes itself on "surveys"
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.star.refresh()

    def add_page(self, title: str, widget: QWidget) -> None:
        """Another part's page (TOP), after the Outcome Star; refreshed with the tab."""
        self.tabs.addTab(widget, title)

    def pages(self) -> list[QWidget]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def refresh(self) -> None:
        for page in self.pages():
            refresh = getattr(page, "refresh", None)
            if callable(refresh):
                refresh()


def _register() -> None:
    from ui.resident.tabs import register_resident_tab

    register_resident_tab("outcomes", "Outcomes", OutcomesTab, 55)


_register()

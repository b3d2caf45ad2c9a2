"""The "Surveys" page of the resident's Outcomes tab (contract 11.1.12): the resident's and their
carers' satisfaction surveys, newest first, with each rating in numbers and the comments of the
chosen one in full below; whether the resident's survey is due; "New survey…" (key workers and
seniors). Read off the UI thread; the service audits each read."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date
from keyworker.security.permissions import Permission
from keyworker.surveys import RATINGS, SurveyView
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

COLUMNS = ["Date", "Who answered", *[label for _k, label in RATINGS], "Taken by"]


class SurveysPage(QWidget):
    refresh_areas = ("surveys", "residents", "discharges")

    def __init__(self, ctx: AppContext, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.resident_id = resident_id
        self.surveys: list[SurveyView] = []
        self.dialog: Any = None
        self.setObjectName("surveysPage")
        self.setAccessibleName("Satisfaction surveys")
        self.due_label = QLabel("Loading surveys…")
        self.due_label.setObjectName("surveyDue")
        self.due_label.setWordWrap(True)
        self.new_button = QPushButton("&New survey…")
        self.new_button.setObjectName("newSurvey")
        self.new_button.setAccessibleName("New satisfaction survey")
        self.new_button.clicked.connect(self.new_survey)
        can = ctx.book.actor.can(Permission.RECORD_KEY_WORK)
        self.new_button.setVisible(can)
        top = QHBoxLayout()
        top.addWidget(self.due_label, 1)
        top.addWidget(self.new_button)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("surveyHistory")
        self.table.setAccessibleName("Satisfaction surveys, newest first")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda *_a: self._chosen())
        self.empty = QLabel("No satisfaction surveys recorded yet.")
        self.empty.setObjectName("muted")
        self.comments = QPlainTextEdit()
        self.comments.setReadOnly(True)
        self.comments.setTabChangesFocus(True)
        self.comments.setObjectName("surveyComments")
        self.comments.setAccessibleName("Comments of the chosen survey")
        self.comments.setPlaceholderText("Choose a survey to read its comments.")
        self.comments.setMaximumHeight(self.fontMetrics().lineSpacing() * 5 + 16)
        hint = QLabel("Ratings from 1 (not at all) to 5 (very much); a dash where the question was not answered.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(hint)
        lay.addWidget(self.empty)
        lay.addWidget(self.table, 1)
        lay.addWidget(QLabel("<b>Comments</b>"))
        lay.addWidget(self.comments)
        ctx.state.data_changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, area: str) -> None:
        if area in self.refresh_areas:
            self.refresh()

    def refresh(self) -> None:
        if self.ctx.state.locked:
            return
        book, rid = self.ctx.book, self.resident_id
        self.ctx.tasks.run(lambda: (book.surveys.for_resident(rid),
                                    book.surveys.due(resident_id=rid)),
                           self._loaded, lambda exc: show_error(self, exc))

    def _loaded(self, result: tuple[list[SurveyView], list[Any]]) -> None:
        self.surveys, due = result
        if due:
            self.due_label.setText(("⚠ " if due[0].overdue else "") + due[0].text + ".")
        elif self.surveys:
            mine = [s for s in self.surveys if s.respondent == "resident"]
            self.due_label.setText(f"Last survey from the resident: {format_date(mine[0].taken_on)}." if mine
                                   else "No survey from the resident yet.")
        else:
            self.due_label.setText("No surveys yet. One is asked of each resident at least once a year, and "
                                   "before a planned discharge.")
        self.table.setRowCount(len(self.surveys))
        for r, sv in enumerate(self.surveys):
            cells = [format_date(sv.taken_on), sv.respondent_label,
                     *[str(v) if v is not None else "–" for _k, _l, v in sv.ratings], sv.completed_by]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not self.surveys)
        self.table.setVisible(bool(self.surveys))
        if self.surveys:
            self.table.setCurrentCell(0, 0)
        self._chosen()

    def _chosen(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.surveys):
            sv = self.surveys[row]
            self.comments.setPlainText(sv.comments or "No comments.")
        else:
            self.comments.clear()

    def new_survey(self) -> None:
        from ui.outcomes.survey_dialog import SurveyDialog

        if not self.new_button.isVisible() and not self.ctx.book.actor.can(Permission.RECORD_KEY_WORK):
            return
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self.dialog = SurveyDialog(self, self.ctx, self.resident_id)
        self.dialog.finished.connect(self._dialog_done)
        self.dialog.open()

    def _dialog_done(self, _code: int) -> None:
        self.dialog = None


__all__ = ["SurveysPage"]

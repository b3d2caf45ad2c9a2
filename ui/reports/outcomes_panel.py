"""The Reports page's "Quarterly outcomes" report (contract 11.1.4–11.1.12): for the chosen
period, every figure as a row (section, measure, value) as in the CSV, then Print / save PDF
(the shared viewer) and Export CSV. Unit figures only, no names. The report is made off the UI
thread and audited by the core each time (view, PDF, CSV)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.reports import OutcomesReport, Period
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

COLUMNS = ["Section", "Measure", "Value"]


class OutcomesPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: OutcomesReport | None = None
        self.busy = False
        self.pdf_dialog: Any = None
        self.saved_csv: Path | None = None
        # None: the Reports page's own save-file question (its `choose_csv_path`, which tests answer)
        self.choose_csv_path: Callable[[QWidget, str], str | None] | None = None
        self.setObjectName("outcomesReport")
        self.summary = QLabel("Choose a quarter and press Show.")
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("outcomesFigures")
        self.table.setAccessibleName("Outcomes report figures")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.pdf_button = QPushButton("Print / save P&DF…")
        self.pdf_button.setAccessibleName("Print or save the outcomes report as PDF")
        self.pdf_button.clicked.connect(self.open_pdf)
        self.csv_button = QPushButton("Export &CSV…")
        self.csv_button.setAccessibleName("Export the outcomes report as a CSV file")
        self.csv_button.clicked.connect(self.export_csv)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Outcomes report status")
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.csv_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addLayout(actions)
        self._set_busy(False)

    def show_report(self, period: Period) -> None:
        if self.busy or self.ctx.locked_now():
            return
        book = self.ctx.book
        self._set_busy(True, "Making the report…")
        self.ctx.tasks.run(lambda: book.reports.outcomes(period), self._shown, self._failed)

    def _shown(self, report: OutcomesReport) -> None:
        self.report = report
        c = report.top.compliance
        n = report.star.residents_with_readings
        surveys = report.surveys.resident_surveys + report.surveys.carer_surveys
        self.summary.setText(f"Outcomes, {report.period.label}: {n} resident{'' if n == 1 else 's'} with Outcome "
                             f"Star readings; {c.summary} {surveys} satisfaction survey{'' if surveys == 1 else 's'}.")
        figures = report.figures()
        self.table.setRowCount(len(figures))
        for r, cells in enumerate(figures):
            for col, text in enumerate(cells):
                self.table.setItem(r, col, QTableWidgetItem(text or "—"))
        self.status.setText("")
        self._set_busy(False)

    def open_pdf(self) -> None:
        if self.report is None or self.busy:
            return
        from keyworker.documents.outcomes_report import outcomes_report_pdf
        from ui.reports.report_files import make_and_show_pdf

        book, period = self.ctx.book, self.report.period
        make_and_show_pdf(self, f"Outcomes report {period.slug}",
                          lambda: (book.reports.outcomes(period, output="pdf"), book.reports.unit_name()),
                          outcomes_report_pdf)

    def export_csv(self) -> None:
        if self.report is None or self.busy:
            return
        period = self.report.period
        chooser = self.choose_csv_path or getattr(self.parentWidget(), "choose_csv_path", None)
        if chooser is None:
            from ui.reports.page import _choose_csv_path as chooser
        path = chooser(self, f"outcomes-{period.slug}.csv")
        if not path:
            return
        from keyworker.reports import outcomes_report_csv
        from ui.reports.report_files import save_csv

        book = self.ctx.book
        save_csv(self, path, lambda: outcomes_report_csv(book.reports.outcomes(period, output="csv")))

    def clear(self) -> None:
        self.report = None
        self.table.setRowCount(0)
        self.summary.setText("Choose a quarter and press Show.")
        self.status.setText("")
        self._set_busy(False)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.setText("")
        show_error(self, exc)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        has = self.report is not None and not busy
        self.pdf_button.setEnabled(has)
        self.csv_button.setEnabled(has)
        if message:
            self.status.setText(message)

"""The Reports page's "Quarterly contract report" (issue 15): for the chosen period, the shares the
contract holds the unit to as a bar chart, a chart of admissions by setting, and every figure in
grouped tables (one tab per section: figure, count, of, share), then Print / save PDF (the shared viewer),
Export CSV, and Send to the Authority's nominated person (seniors). Unit figures only, no names.
Everything is made off the UI thread and audited by the core each time (view, PDF, CSV)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from PySide6.QtCore import Qt

from keyworker.reports import Period
from keyworker.reports import quarterly as q
from ui.charts import ChartView
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.tables import read_only_table

COLUMNS = ["Figure", "Count", "Of", "Share"]


def _rows(figures: list[q.Figure]) -> list[tuple[str, str, str, str, bool]]:
    """(figure, count, of, share, is a group heading) in the report's order, grouped."""
    out: list[tuple[str, str, str, str, bool]] = []
    group = None
    for f in figures:
        if f.group and f.group != group:
            out.append((f.group, "", "", "", True))
        group = f.group
        count = "" if f.count is None else str(f.count)
        if f.value:
            count = f"{count} (mean {f.value})" if count else f.value
        out.append((("    " + f.name) if f.group else f.name, count,
                    "" if f.denominator is None else str(f.denominator),
                    (f.share_text or "—") if f.denominator is not None else "", False))
    return out


class QuarterlyPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: q.QuarterlyReport | None = None
        self.busy = False
        self.pdf_dialog: Any = None
        self.saved_csv: Path | None = None
        self.last_sent: Any = None
        self.choose_csv_path: Callable[[QWidget, str], str | None] | None = None
        self.setObjectName("quarterlyReport")
        self.summary = QLabel("Choose a quarter and press Show.")
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        self.shares = ChartView()
        self.shares.setObjectName("quarterlyShares")
        self.shares.setMinimumSize(300, 150)
        self.settings_chart = ChartView()
        self.settings_chart.setObjectName("quarterlyAdmissions")
        self.settings_chart.setMinimumSize(220, 80)
        charts = QWidget()
        charts.setMaximumHeight(230)  # the tables below keep most of the height
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.shares, 3)
        cl.addWidget(self.settings_chart, 2)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("quarterlySections")
        self.tabs.setAccessibleName("Quarterly report figures by section")
        self.tables: dict[str, QTableWidget] = {}
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(charts)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.pdf_button = QPushButton("Print / save P&DF…")
        self.pdf_button.setAccessibleName("Print or save the quarterly report as PDF")
        self.pdf_button.clicked.connect(self.open_pdf)
        self.csv_button = QPushButton("Export &CSV…")
        self.csv_button.setAccessibleName("Export the quarterly report as a CSV file")
        self.csv_button.clicked.connect(self.export_csv)
        self.send_button = QPushButton("Send to the A&uthority")
        self.send_button.setAccessibleName("Send the quarterly report to the Authority's nominated person")
        self.send_button.clicked.connect(self.send_report)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Quarterly report status")
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.csv_button)
        actions.addWidget(self.send_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addLayout(actions)
        self._set_busy(False)

    # -- showing ------------------------------------------------------------------------------
    def show_report(self, period: Period) -> None:
        if self.busy or self.ctx.locked_now():
            return
        book = self.ctx.book
        self._set_busy(True, "Making the report…")
        self.ctx.tasks.run(lambda: book.reports.quarterly(period), self._shown, self._failed)

    def _shown(self, report: q.QuarterlyReport) -> None:
        self.report = report
        g = report.get
        self.summary.setText(
            f"Quarterly contract report, {report.period.label}: {g(q.REFERRALS, 'Referrals received').count} "
            f"referrals received, {g(q.ADMISSIONS, 'Admissions').count} admissions, "
            f"{g(q.DISCHARGES, 'Discharges').count} discharges, "
            f"{g(q.PEOPLE, 'Residents in treatment in the period').count} residents in treatment.")
        self.shares.set_drawing(q.shares_chart(report))
        self.settings_chart.set_drawing(q.breakdown_chart(report, q.ADMISSIONS, "By setting", "Admissions by setting"))
        self.tabs.clear()
        self.tables.clear()
        for section in report.sections:
            table = QTableWidget(0, len(COLUMNS))
            table.setObjectName(f"quarterly-{section}")
            table.setAccessibleName(f"{section} figures")
            table.setHorizontalHeaderLabels(COLUMNS)
            read_only_table(table)
            hh = table.horizontalHeader()
            hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            rows = _rows(report.section(section))
            table.setRowCount(len(rows))
            for r, (name, count, of, share, heading) in enumerate(rows):
                for col, text in enumerate((name, count, of, share)):
                    item = QTableWidgetItem(text)
                    if heading:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                    if col:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(r, col, item)
            self.tables[section] = table
            self.tabs.addTab(table, section)
        self.status.setText("")
        self._set_busy(False)

    def figures_shown(self, section: str) -> list[list[str]]:
        """What a section's table shows, row by row (for tests and screen readers)."""
        t = self.tables[section]
        return [[(t.item(r, c).text() if t.item(r, c) else "") for c in range(t.columnCount())]
                for r in range(t.rowCount())]

    # -- files and sending ------------------------------------------------------------------------
    def open_pdf(self) -> None:
        if self.report is None or self.busy:
            return
        from keyworker.documents.quarterly_report import quarterly_report_pdf
        from ui.reports.report_files import make_and_show_pdf

        book, period = self.ctx.book, self.report.period

        def fetch() -> tuple[Any, str]:
            return (book.reports.quarterly(period, output="pdf"), book.unit_profile.get(),
                    book.reports.prepared_by()), ""

        def build(made: Any, _unit: str, now: datetime) -> bytes:
            report, profile, prepared = made
            return quarterly_report_pdf(report, profile, now or datetime.now(UTC), prepared)

        make_and_show_pdf(self, f"Quarterly report {period.slug}", fetch, build)

    def export_csv(self) -> None:
        if self.report is None or self.busy:
            return
        period = self.report.period
        chooser = self.choose_csv_path or getattr(self.parentWidget(), "choose_csv_path", None)
        if chooser is None:
            from ui.reports.page import _choose_csv_path as chooser
        path = chooser(self, f"quarterly-{period.slug}.csv")
        if not path:
            return
        from ui.reports.report_files import save_csv

        book = self.ctx.book
        save_csv(self, path, lambda: book.reports.quarterly_csv(period))

    def send_report(self) -> None:
        if self.report is None or self.busy or not self.may_send():
            return
        from ui.reports.report_files import send_to_authority

        book, period = self.ctx.book, self.report.period
        send_to_authority(self, lambda: book.reports.send_quarterly(period))

    def may_send(self) -> bool:
        from keyworker.security.permissions import Permission

        return self.ctx.book.actor.can(Permission.DECIDE_REFERRALS)

    # -- state ------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.report = None
        self.tabs.clear()
        self.tables.clear()
        self.shares.set_drawing(None)
        self.settings_chart.set_drawing(None)
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
        self.send_button.setVisible(self.may_send())
        self.send_button.setEnabled(has)
        if message:
            self.status.setText(message)

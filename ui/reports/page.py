"""The Reports page: choose a report and a period (this quarter, last quarter or custom dates),
Show it as a table with its counts, then print or save it as PDF or export it as CSV. For now one
report, "Declined referrals" (specification 4.1.2.3). All database and PDF work runs off the UI
thread; each report produced is audited by the core."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_date, local_today
from keyworker.reports import DeclinesReport, Period, between, previous_quarter, quarter_of
from ui.context import AppContext
from ui.errors import show_error
from ui.forms.widgets import UkDateEdit
from ui.widgets.row_model import RowsModel
from ui.widgets.save_file import choose_save_path
from ui.widgets.tables import read_only_table

Index = QModelIndex | QPersistentModelIndex
# By importance: the dates and whether the decision was in time first (readable at 1024 px without
# scrolling), the long reasons last, in full below the table.
COLUMNS = ("Received", "Decided", "In time?", "Name", "Referrer", "Reason", "Reasons given")
IN_TIME, REFERRER, REASON, REASONS_COLUMN = 2, 4, 5, 6
THIS_QUARTER, LAST_QUARTER, CUSTOM = "this", "last", "custom"
REPORTS = (("declines", "Declined referrals"), ("outcomes", "Quarterly outcomes"),
           ("quarterly", "Contract report"))
PANELS = ("outcomes", "quarterly")  # kinds shown by their own panel in place of the declines' widgets
PLAINTEXT_NOTE = ("A saved PDF or CSV is not encrypted: it holds names and reasons in plain form. "
                  "Save it only to send it, and delete it once sent.")


def _quarter_name(p: Period) -> str:
    return f"{p.quarter[4:]} {p.quarter[:4]}" if p.quarter else ""


def _one_line(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class DeclinesModel(RowsModel):
    """The report's rows (frozen DeclineLine values), in the order the core gives them."""

    headings = tuple(COLUMNS)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(r)[col]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return r.reasons if col == REASONS_COLUMN else self._cells(r)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == REASONS_COLUMN:
                return r.reasons
            if col in (REFERRER, REASON):  # may be elided in a narrow column
                return self._cells(r)[col]
            if col == IN_TIME and not r.in_time:
                return f"The decision was due by {format_date(r.decision_due_on)}."
        if role == Qt.ItemDataRole.FontRole and col == IN_TIME and not r.in_time:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.UserRole:
            return r.referral_id
        return None

    @staticmethod
    def _cells(r: Any) -> list[str]:
        # "In time?" in words with a symbol, never colour alone.
        in_time = "✓ Yes" if r.in_time else f"⚠ No, due {format_date(r.decision_due_on)}"
        return [format_date(r.received_at), format_date(r.decided_at), in_time, r.name,
                f"{r.referrer_name}, {r.organisation}", r.reason_category_label, _one_line(r.reasons)]


class ReportsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: DeclinesReport | None = None
        self.busy = False
        self.pdf_dialog: Any = None
        self.saved_csv: Path | None = None
        self.last_sent: Any = None  # what the last "Send to the Authority" queued (ReportSent)
        self.print_summaries_dialog: Any = None
        # The save-file dialog is an attribute so tests can answer it without a blocking dialog.
        self.choose_csv_path: Callable[[QWidget, str], str | None] = _choose_csv_path
        self.setObjectName("reportsPage")
        self.setAccessibleName("Reports")

        title = QLabel("Reports")
        title.setObjectName("pageTitle")
        subtitle = QLabel("Declined referrals and their reasons, for the Authority's nominated person and the "
                          "quarterly report on activity (specification 4.1.2.3); the quarterly outcomes report "
                          "(Outcome Star, TOP and satisfaction surveys, 11.1.4 to 11.1.12); the quarterly "
                          "contract report (every figure with its share, section 11).")
        subtitle.setObjectName("pageSubtitle")
        subtitle.setWordWrap(True)

        self.kind = QComboBox()
        self.kind.setAccessibleName("Report")
        for key, label in REPORTS:
            self.kind.addItem(label, key)
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        self.from_edit = UkDateEdit()
        self.from_edit.setAccessibleName("From date")
        self.to_edit = UkDateEdit()
        self.to_edit.setAccessibleName("To date")
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("primary")
        self.show_button.setAccessibleName("Show the report")
        self.show_button.setToolTip("Enter")
        self.show_button.clicked.connect(self.show_report)
        self._fill_periods()
        self.period.currentIndexChanged.connect(self._period_chosen)

        controls = QGridLayout()
        for col, (text, widget) in enumerate((("&Report", self.kind), ("&Period", self.period),
                                              ("&From", self.from_edit), ("&To", self.to_edit))):
            label = QLabel(text)
            label.setBuddy(widget)
            controls.addWidget(label, 0, col)
            controls.addWidget(widget, 1, col)
        controls.addWidget(self.show_button, 1, 4)
        controls.setColumnStretch(5, 1)

        self.summary = QLabel("Choose a period and press Show.")
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.by_reason = QLabel()
        self.by_reason.setAccessibleName("Declines by reason")
        self.by_organisation = QLabel()
        self.by_organisation.setAccessibleName("Declines by referrer organisation")
        # Plain columns rather than boxes: the table below needs the height more than a frame does.
        counts = QHBoxLayout()
        for heading_text, label in (("By reason", self.by_reason), ("By referrer organisation", self.by_organisation)):
            column = QVBoxLayout()
            column.setSpacing(2)
            head = QLabel(heading_text)
            bold = head.font()
            bold.setBold(True)
            head.setFont(bold)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(head)
            column.addWidget(label)
            column.addStretch(1)
            counts.addLayout(column, 1)
        self.counts_row = QWidget()
        self.counts_row.setLayout(counts)
        counts.setContentsMargins(4, 0, 0, 4)
        self.counts_row.hide()

        self.model = DeclinesModel(self)
        self.table = QTableView()
        self.table.setObjectName("declinesTable")
        self.table.setAccessibleName("Declined referrals")
        self.table.setModel(self.model)
        read_only_table(self.table)
        self.table.setWordWrap(False)
        # Dates, name and "in time" fit their text; referrer and reason get a sensible width the
        # user can drag; the reasons (one line here, in full below) take what is left.
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        em = self.fontMetrics().horizontalAdvance("M")
        for col, width in ((REFERRER, 12 * em), (REASON, 12 * em)):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            hh.resizeSection(col, width)
        hh.setSectionResizeMode(REASONS_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.reasons = QPlainTextEdit()
        self.reasons.setReadOnly(True)
        self.reasons.setObjectName("reasonsInFull")
        self.reasons.setAccessibleName("Reasons in full for the selected referral")
        self.reasons.setPlaceholderText("Select a referral to read its reasons in full.")
        self.reasons.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.reasons.setTabChangesFocus(True)

        self.pdf_button = QPushButton("Print / save P&DF…")
        self.pdf_button.setAccessibleName("Print or save the report as PDF")
        self.pdf_button.clicked.connect(self.open_pdf)
        self.csv_button = QPushButton("Export &CSV…")
        self.csv_button.setAccessibleName("Export the report as a CSV file")
        self.csv_button.clicked.connect(self.export_csv)
        # A senior sends the report to the Authority's nominated person through the outbox (4.1.2.3).
        self.send_button = QPushButton("Send to the &Authority")
        self.send_button.setAccessibleName("Send the report to the Authority's nominated person")
        self.send_button.setToolTip("Kept with the unit's documents and sent by the outbox to the nominated "
                                    "person in Administration → Unit profile.")
        self.send_button.clicked.connect(self.send_report)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Report status")
        note = QLabel(PLAINTEXT_NOTE)
        note.setObjectName("muted")
        note.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.csv_button)
        actions.addWidget(self.send_button)
        # Discharge summaries are printed from their own dialog (ui/discharges/print_summaries.py).
        self.print_summaries_button = QPushButton("Print discharge s&ummaries…")
        self.print_summaries_button.setAccessibleName("Print or save the discharge summaries of a date range")
        self.print_summaries_button.clicked.connect(self.open_print_summaries)
        actions.addWidget(self.print_summaries_button)
        # The pseudonymised extract has its own dialog (ui/reports/pseudonymised.py).
        self.pseudonymised_dialog: Any = None
        self.pseudonymised_button = QPushButton("Pseudonymised e&xtract…")
        self.pseudonymised_button.setAccessibleName("Save or send the pseudonymised extract of a date range")
        self.pseudonymised_button.clicked.connect(self.open_pseudonymised)
        # On a row of its own, so the actions row still fits a narrow window.
        extracts_row = QHBoxLayout()
        extracts_row.addWidget(self.pseudonymised_button)
        extracts_row.addStretch(1)

        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(subtitle)
        lay.addLayout(controls)
        lay.addSpacing(4)
        lay.addWidget(self.summary)
        lay.addWidget(self.counts_row)
        lay.addWidget(self.table, 1)
        reasons_label = QLabel("Reasons in f&ull")
        reasons_label.setBuddy(self.reasons)
        lay.addWidget(reasons_label)
        lay.addWidget(self.reasons)
        lay.addLayout(actions)
        lay.addLayout(extracts_row)
        lay.addWidget(note)
        # The quarterly outcomes report (ui/reports/outcomes_panel.py) in place of the declines' widgets.
        from ui.reports.outcomes_panel import OutcomesPanel

        self.outcomes = OutcomesPanel(ctx)  # asks this page's choose_csv_path for the file name
        lay.insertWidget(lay.indexOf(self.table), self.outcomes, 1)
        # The quarterly contract report (ui/reports/quarterly_panel.py), the same way.
        from ui.reports.quarterly_panel import QuarterlyPanel

        self.quarterly = QuarterlyPanel(ctx)
        lay.insertWidget(lay.indexOf(self.table), self.quarterly, 1)
        self.declines_widgets = [self.summary, self.table, reasons_label, self.reasons, self.pdf_button,
                                 self.csv_button, self.send_button]
        self.kind.currentIndexChanged.connect(self._kind_chosen)
        QWidget.setTabOrder(self.show_button, self.outcomes.table)
        QWidget.setTabOrder(self.outcomes.table, self.outcomes.pdf_button)
        QWidget.setTabOrder(self.outcomes.pdf_button, self.outcomes.csv_button)
        self._kind_chosen()
        self.setFocusProxy(self.period)
        self._set_busy(False)

        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.actor_changed.connect(self._clear)

    # -- the period ---------------------------------------------------------------------------
    def _today(self) -> date:
        return local_today(self.ctx.book.clock)

    def _fill_periods(self) -> None:
        this = quarter_of(self._today())
        last = previous_quarter(this)
        self.period.clear()
        self.period.addItem(f"This quarter ({_quarter_name(this)})", THIS_QUARTER)
        self.period.addItem(f"Last quarter ({_quarter_name(last)})", LAST_QUARTER)
        self.period.addItem("Custom dates", CUSTOM)
        self.from_edit.set_value(this.start)
        self.to_edit.set_value(this.end)
        self._period_chosen()

    def _period_chosen(self) -> None:
        choice = self.period.currentData()
        custom = choice == CUSTOM
        if not custom:
            p = self.chosen_period()
            self.from_edit.set_value(p.start)
            self.to_edit.set_value(p.end)
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)

    def chosen_period(self) -> Period:
        """The period the controls describe. Raises ValidationError for custom dates out of order."""
        this = quarter_of(self._today())
        choice = self.period.currentData()
        if choice == THIS_QUARTER:
            return this
        if choice == LAST_QUARTER:
            return previous_quarter(this)
        return between(self.from_edit.value() or self._today(), self.to_edit.value() or self._today())

    # -- showing ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # Enter in the report, period or date controls shows the report, as a dialog's default button.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.table.hasFocus():
            self.show_report()
            return
        super().keyPressEvent(event)

    def _kind_chosen(self, _index: int = 0) -> None:
        kind = self.kind.currentData()
        outcomes = kind in PANELS
        self.outcomes.setVisible(kind == "outcomes")
        self.quarterly.setVisible(kind == "quarterly")
        for w in self.declines_widgets:
            w.setVisible(not outcomes)
        self.counts_row.setVisible(not outcomes and self.report is not None and bool(self.report.total))
        if not outcomes:
            self.send_button.setVisible(self.may_send())

    def show_report(self) -> None:
        if self.kind.currentData() in PANELS:
            try:
                period = self.chosen_period()
            except Exception as exc:  # noqa: BLE001 - a ValidationError for the person, shown in one place
                show_error(self, exc)
                return
            panel = self.outcomes if self.kind.currentData() == "outcomes" else self.quarterly
            panel.show_report(period)
            return
        if self.busy or self.ctx.locked_now():
            return
        try:
            period = self.chosen_period()
        except Exception as exc:  # noqa: BLE001 - a ValidationError for the person, shown in one place
            show_error(self, exc)
            return
        book = self.ctx.book
        self._set_busy(True, "Making the report…")
        self.ctx.tasks.run(lambda: book.reports.declines(period), self._shown, self._failed)

    def _shown(self, report: DeclinesReport) -> None:
        self.report = report
        self.model.set_rows(list(report.rows))
        p = report.period
        if report.total:
            pct = f" ({report.in_time_pct}%)" if report.in_time_pct is not None else ""
            self.summary.setText(f"{report.total} declined referral{'s' if report.total != 1 else ''}, "
                                 f"{p.label} — {report.in_time} decided within 5 working days{pct}, "
                                 f"{report.late} late")
        else:
            self.summary.setText(f"No referrals were declined from {format_date(p.start)} to {format_date(p.end)}.")
        self.by_reason.setText("\n".join(f"{n}  {label}" for label, n in report.by_reason))
        self.by_organisation.setText("\n".join(f"{n}  {org}" for org, n in report.by_organisation))
        self.counts_row.setVisible(bool(report.total))
        self.status.setText("")
        for col in range(REFERRER):  # the widths these rows need now, then what is left for the reasons
            self.table.resizeColumnToContents(col)
        self._fit_columns()
        if report.total:
            self.table.setCurrentIndex(self.model.index(0, 0))
        else:
            self.reasons.clear()
        self._set_busy(False)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Where the other columns leave the reasons no room (1024 px), the reasons column goes:
        they are read in full below the table, and the list needs no sideways scrolling."""
        hh = self.table.horizontalHeader()
        others = sum(hh.sectionSize(c) for c in range(len(COLUMNS)) if c != REASONS_COLUMN)
        room = self.table.viewport().width() - others
        self.table.setColumnHidden(REASONS_COLUMN, room < 10 * self.fontMetrics().horizontalAdvance("M"))

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            r = self.model.rows[current.row()]
            self.reasons.setPlainText(f"{r.name} — {r.reason_category_label}\n\n{r.reasons}")
        else:
            self.reasons.clear()

    # -- PDF and CSV --------------------------------------------------------------------------
    def open_pdf(self) -> None:
        """Make the PDF (the report again, audited as a PDF) and open it in the shared viewer."""
        if self.report is None or self.busy:
            return
        from keyworker.documents.declines_report import declines_report_pdf
        from ui.reports.report_files import make_and_show_pdf

        book, period = self.ctx.book, self.report.period
        make_and_show_pdf(self, f"Declined referrals {period.slug}",
                          lambda: (book.reports.declines(period, output="pdf"), book.reports.unit_name()),
                          declines_report_pdf)

    def export_csv(self) -> None:
        if self.report is None or self.busy:
            return
        period = self.report.period
        path = self.choose_csv_path(self, f"declined-referrals-{period.slug}.csv")
        if not path:
            return
        from keyworker.reports import declines_report_csv
        from ui.reports.report_files import save_csv

        book = self.ctx.book
        save_csv(self, path, lambda: declines_report_csv(book.reports.declines(period, output="csv")))

    def send_report(self) -> None:
        """File the report shown and put it in the outbox for the Authority's nominated person
        (senior only; the core checks). Sending the same report again adds nothing."""
        if self.report is None or self.busy or not self.may_send():
            return
        from ui.reports.report_files import send_to_authority

        book, period = self.ctx.book, self.report.period
        send_to_authority(self, lambda: book.reports.send_declines(period))

    def open_print_summaries(self) -> None:
        from ui.discharges.print_summaries import open_print_summaries

        self.print_summaries_dialog = open_print_summaries(self.ctx, self)

    def open_pseudonymised(self) -> None:
        from ui.reports.pseudonymised import open_pseudonymised

        self.pseudonymised_dialog = open_pseudonymised(self.ctx, self)

    def may_send(self) -> bool:
        from keyworker.security.permissions import Permission

        return self.ctx.book.actor.can(Permission.DECIDE_REFERRALS)

    # -- state --------------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.setText("")
        show_error(self, exc)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        self.show_button.setEnabled(not busy)
        has_report = self.report is not None and not busy
        self.pdf_button.setEnabled(has_report)
        self.csv_button.setEnabled(has_report)
        self.send_button.setVisible(self.may_send() and self.kind.currentData() not in PANELS)
        from keyworker.security.permissions import Permission

        self.print_summaries_button.setVisible(self.ctx.book.actor.can(Permission.VIEW_RESIDENTS))
        self.send_button.setEnabled(has_report)
        if message:
            self.status.setText(message)

    def _on_data_changed(self, area: str) -> None:
        if area == "referrals" and self.report is not None:
            self.status.setText("Referrals have changed since this report was made: press Show to update it.")

    def _clear(self) -> None:
        """A different user signed in: what the last one looked at is not theirs to see."""
        self.report = None
        self.model.set_rows([])
        self.reasons.clear()
        self.counts_row.hide()
        self.summary.setText("Choose a period and press Show.")
        self.status.setText("")
        self._fill_periods()
        self._set_busy(False)
        self.outcomes.clear()
        self.quarterly.clear()


def _choose_csv_path(parent: QWidget, suggested: str) -> str | None:
    return choose_save_path(parent, "Export CSV", suggested, ".csv")


def _register() -> None:
    from ui.main_window import register_page

    register_page("reports", "Reports", ReportsPage, 70)


_register()

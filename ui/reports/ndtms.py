"""Reports → NDTMS: the NDTMS monthly return and its data-quality report (issue 15). Choose the
month and press Show: the number of episodes, the compliance figures (core fields against 100%,
TOP against 90%) and the problems table (resident, field, what is wrong, where to fix it).
Double-click or Enter on a problem opens the resident's record on the tab named. Save the return
(CSV) or the data-quality report (PDF on the unit letterhead, or CSV), or queue the return for its
destination with the report beside it. All database and PDF work runs off the UI thread.

Registered as its own page ("ndtms", last in the navigation, so the Ctrl+number shortcuts keep their pages), shown to seniors (`make_ndtms_return`); the
Today section "NDTMS data quality" (seniors) opens it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import local_today
from keyworker.returns.ndtms import NdtmsReturn, Problem
from keyworker.security.permissions import Permission
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets.row_model import RowsModel
from ui.widgets.tables import read_only_table

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Reference", "Name", "Field", "Problem", "What is wrong", "Where to fix it")
MONTHS_BACK = 24
PLAINTEXT_NOTE = ("A saved file is not encrypted: it holds residents' details in plain form. Save it only to send "
                  "it, and delete it once sent.")


def month_choices(today: date, n: int = MONTHS_BACK) -> list[tuple[str, str]]:
    """('2026-03', 'March 2026'), newest (this month) first."""
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        out.append((f"{y:04d}-{m:02d}", date(y, m, 1).strftime("%B %Y")))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


class ProblemsModel(RowsModel):
    headings = COLUMNS

    def set_rows(self, rows: list[Problem]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        p: Problem = self.rows[index.row()]
        cells = (p.reference, p.name, f"{p.field_label} ({p.field})", "Missing" if p.kind == "missing" else "Invalid",
                 p.message, p.where)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return cells[index.column()]
        return None


class NdtmsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ret: NdtmsReturn | None = None
        self.last_sent: Any = None
        self.saved: Path | None = None
        # The save-file dialog is an attribute so tests can answer it without a blocking dialog.
        self.choose_path: Callable[[QWidget, str, str], str | None] = _choose_path
        self.setObjectName("ndtmsPage")
        self.setAccessibleName("NDTMS return")

        title = QLabel("NDTMS monthly return")
        title.setObjectName("pageTitle")
        subtitle = QLabel("The residential rehabilitation episodes of a month for the National Drug Treatment "
                          "Monitoring System, checked field by field first (specification 11.1). Put right what "
                          "the table lists, then send the return.")
        subtitle.setObjectName("pageSubtitle")
        subtitle.setWordWrap(True)

        self.month = QComboBox()
        self.month.setAccessibleName("Month")
        for key, label in month_choices(local_today(ctx.book.clock)):
            self.month.addItem(label, key)
        month_label = QLabel("&Month")
        month_label.setBuddy(self.month)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("primary")
        self.show_button.setAccessibleName("Show the return")
        self.show_button.clicked.connect(self.show_return)
        self.csv_button = QPushButton("Save &return (CSV)…")
        self.csv_button.clicked.connect(self.save_return)
        self.pdf_button = QPushButton("Save data quality (&PDF)…")
        self.pdf_button.clicked.connect(lambda: self.save_quality("pdf"))
        self.quality_csv_button = QPushButton("Save data quality (C&SV)…")
        self.quality_csv_button.clicked.connect(lambda: self.save_quality("csv"))
        self.send_button = QPushButton("Se&nd to NDTMS")
        self.send_button.setToolTip("Queue the return in the outbox for its destination, with the data-quality "
                                    "report beside it")
        self.send_button.clicked.connect(self.send_return)
        controls = QHBoxLayout()
        controls.addWidget(month_label)
        controls.addWidget(self.month)
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        # The actions on their own row, so the page fits 1024 px beside the navigation.
        actions = QHBoxLayout()
        for b in (self.csv_button, self.pdf_button, self.quality_csv_button, self.send_button):
            actions.addWidget(b)
        actions.addStretch(1)

        self.summary = QLabel("Choose a month and press Show.")
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compliance = QLabel()
        self.compliance.setWordWrap(True)
        self.compliance.setAccessibleName("Compliance")
        self.note = QLabel(PLAINTEXT_NOTE)
        self.note.setWordWrap(True)
        self.note.setObjectName("hint")

        self.model = ProblemsModel(self)
        self.table = QTableView()
        self.table.setObjectName("ndtmsProblems")
        self.table.setAccessibleName("Data-quality problems: Enter opens the record on the tab named")
        self.table.setModel(self.model)
        read_only_table(self.table)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self.open_problem(index.row()))
        self.table.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.compliance)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.note)
        self.setFocusProxy(self.month)
        self._enable(False)
        ctx.state.data_changed.connect(self._on_data_changed)

    # -- showing ------------------------------------------------------------------------------------
    def chosen_month(self) -> str:
        return str(self.month.currentData())

    def choose_month(self, key: str) -> None:
        i = self.month.findData(key)
        if i >= 0:
            self.month.setCurrentIndex(i)

    def show_return(self) -> None:
        book, month = self.ctx.book, self.chosen_month()
        self.summary.setText("Checking the month's episodes…")
        self.ctx.tasks.run(lambda: book.returns.ndtms(month), self._shown, self._failed)

    def _shown(self, ret: NdtmsReturn) -> None:
        self.ret = ret
        self.model.set_rows(list(ret.problems))
        n, probs = len(ret.rows), len(ret.problems)
        text = (f"{ret.label}: {n} episode{'s' if n != 1 else ''}; "
                + (f"{probs} problem{'s' if probs != 1 else ''} for {ret.residents_with_problems} "
                   f"resident{'s' if ret.residents_with_problems != 1 else ''} to put right."
                   if probs else "every core field is recorded and valid."))
        if ret.withheld:
            text += f" {ret.withheld} sent without identifying details (no NDTMS consent)."
        self.summary.setText(text)
        c = ret.compliance
        lines = [c.core_text, c.top_text]
        if not ret.codes_checked:
            lines.append("The mapping's codes are still to be checked against the NDTMS Reference Data.")
        self.compliance.setText("\n".join(lines))
        self._enable(True)
        if probs:
            self.table.selectRow(0)

    def _enable(self, on: bool) -> None:
        may = self.ctx.book.actor.can(Permission.MAKE_NDTMS_RETURN)
        for b in (self.csv_button, self.pdf_button, self.quality_csv_button):
            b.setEnabled(on and may)
        self.send_button.setEnabled(on and may)

    # -- opening the record -------------------------------------------------------------------------
    def open_problem(self, row: int) -> QWidget | None:
        """Open the record on the problem's tab, with its field focused when the tab has an editor
        of that name (`field_<name>`, as the form binder names them). Returns that editor."""
        if not 0 <= row < len(self.model.rows):
            return None
        p: Problem = self.model.rows[row]
        self.ctx.open_resident(p.resident_id, tab=p.tab)
        return focus_field(self.ctx, p.resident_id, p.tab, p.app_field)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        if obj is self.table and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_problem(self.table.currentIndex().row())
            return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.table.hasFocus():
            self.show_return()
            return
        super().keyPressEvent(event)

    # -- saving and sending -------------------------------------------------------------------------
    def save_return(self) -> None:
        from keyworker.returns.ndtms import return_csv

        self._save(f"ndtms-{self.chosen_month()}.csv", "CSV files (*.csv)", "csv",
                   lambda ret, _profile: return_csv(ret))

    def save_quality(self, kind: str) -> None:
        from keyworker.returns import ndtms

        def content(ret: NdtmsReturn, profile: Any) -> bytes:
            if kind == "pdf":
                return ndtms.quality_pdf(ret, profile, datetime.now(UTC))
            return ndtms.quality_csv(ret)

        self._save(f"ndtms-{self.chosen_month()}-data-quality.{kind}",
                   "PDF files (*.pdf)" if kind == "pdf" else "CSV files (*.csv)", kind, content)

    def _save(self, suggested: str, filters: str, output: str,
              content: Callable[[NdtmsReturn, Any], bytes]) -> None:
        chosen = self.choose_path(self, suggested, filters)
        if not chosen:
            return
        book, month, path = self.ctx.book, self.chosen_month(), Path(chosen)

        def work() -> Path:
            from keyworker.reports.files import write_private

            ret = book.returns.ndtms(month, output=output)
            profile = book.unit_profile.get() if output == "pdf" else None
            return write_private(path, content(ret, profile))

        def saved(target: Path) -> None:
            self.saved = target
            self.summary.setText(f"Saved to {target}. {PLAINTEXT_NOTE}")

        self.ctx.tasks.run(work, saved, self._failed, pool=True)

    def send_return(self) -> None:
        book, month = self.ctx.book, self.chosen_month()

        def sent(result: Any) -> None:
            self.last_sent = result
            if not result.created:
                self.summary.setText("This return is already in the outbox: nothing was added.")
            elif result.no_destination:
                self.summary.setText("Queued in the outbox with its data-quality report. No destination is set for "
                                     "NDTMS returns yet: a senior or the administrator sets one in Administration → "
                                     "Destinations.")
            else:
                self.summary.setText("Queued in the outbox with its data-quality report; it is sent when the "
                                     "destination can be reached.")
            self.ctx.state.data_changed.emit("outbox")

        self.ctx.tasks.run(lambda: book.returns.send_ndtms(month), sent, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText("The return could not be made.")
        show_error(self, exc)

    def _on_data_changed(self, area: str) -> None:
        if self.ret is not None and area in ("residents", "care_plans", "discharges", "top", "outcomes"):
            self.show_return()


def focus_field(ctx: AppContext, resident_id: str, tab: str, app_field: str) -> QWidget | None:
    window = getattr(ctx, "resident_windows", {}).get(resident_id)
    show = getattr(window, "show_tab", None)
    page = show(tab) if callable(show) else None
    if page is None or not app_field:
        return None
    editor = page.findChild(QWidget, f"field_{app_field}")
    if editor is None:
        return None
    area = next((a for a in _ancestors(editor) if isinstance(a, QScrollArea)), None)
    if area is not None:
        area.ensureWidgetVisible(editor)
    editor.setFocus(Qt.FocusReason.OtherFocusReason)
    return editor


def _ancestors(w: QWidget) -> list[QWidget]:
    out = []
    p = w.parentWidget()
    while p is not None:
        out.append(p)
        p = p.parentWidget()
    return out


def _choose_path(parent: QWidget, suggested: str, filters: str) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(parent, "Save", str(Path.home() / suggested), filters)
    return path or None


def open_page(ctx: AppContext, _parent: QWidget | None = None) -> NdtmsPage | None:
    """Switch the main window to the NDTMS page and show this month's return."""
    show = getattr(ctx.main_window, "show_page", None)
    page = show("ndtms") if callable(show) else None
    if isinstance(page, NdtmsPage):
        page.choose_month(page.month.itemData(0))
        page.show_return()
    return page


def today_items(book: Any) -> list[Any]:
    """Today (seniors): this month's core-field compliance against 100% and TOP against 90%; a
    click opens Reports → NDTMS."""
    from ui.today import TodayItem

    c = book.returns.ndtms_compliance(None)
    return [TodayItem(c.core_text, overdue=c.core_meets is False, open=open_page),
            TodayItem(c.top_text, overdue=c.top_meets is False, open=open_page)]


def _register() -> None:
    from ui.main_window import register_page
    from ui.today import register_today_section

    # After Administration, so Ctrl+1 … Ctrl+9 keep their pages.
    register_page("ndtms", "NDTMS return", NdtmsPage, 85)
    register_today_section("ndtms_quality", "NDTMS data quality", today_items, 36,
                           permission=Permission.MAKE_NDTMS_RETURN)


_register()

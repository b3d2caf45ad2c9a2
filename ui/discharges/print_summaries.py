"""Print discharge summaries (issue 13): managers print or save the discharge summaries of a date
range. `open_print_summaries(ctx, parent)` opens the dialog (the Reports page has its button; the
Discharges page can add one).

A date range (UK dates; by default last month), the list of discharges in it with a tick each
(all ticked), then **Print…** (a print preview, each PDF's pages rendered with QtPdf onto the
printer) or **Save as PDF…** (one PDF for all, or one PDF per discharge into a folder). The core
is keyworker/discharge_summaries.py: every document read is audited, every file written is
owner-only (0600) and a new folder owner-only (0700); "Print to file" from the print dialog is
written the same way, never by Qt. All database and PDF work runs off the UI thread
(`ctx.tasks`). The print preview, the save-file and folder choosers are attributes so tests can
answer them without a blocking dialog."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.clock import format_datetime, local_today
from ui.errors import show_error
from ui.forms import UkDateEdit
from ui.widgets.save_file import choose_save_path

if TYPE_CHECKING:
    from keyworker.discharge_summaries import PrintedSummary
    from keyworker.discharges import DischargeRow
    from ui.context import AppContext

COLUMNS = ("Print", "When", "Resident", "Reference", "Type", "Summary")
SAVE_MODES = (("one", "One PDF for all"), ("each", "One PDF per discharge, into a folder"))
MANY = 5  # more than this many shows a progress bar while saving


def last_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    end = first_this - timedelta(days=1)
    return end.replace(day=1), end


def paper_words(row: DischargeRow) -> str:
    if row.letter_document_id:
        return "Discharge letter" if row.path == "planned" else "Complete summary"
    if row.summary_document_id:
        return "Out-of-hours summary only" + (" (complete one overdue)" if row.summary_overdue else "")
    return "None yet"


def _preview(parent: QWidget, printer: QPrinter, paint: Callable[[QPrinter], None]) -> bool:
    dlg = QPrintPreviewDialog(printer, parent)
    dlg.setWindowTitle("Print discharge summaries")
    dlg.paintRequested.connect(paint)
    return dlg.exec() == QDialog.DialogCode.Accepted.value


def _choose_file(parent: QWidget, suggested: str) -> str | None:
    return choose_save_path(parent, "Save discharge summaries as PDF", suggested, ".pdf")


def _choose_folder(parent: QWidget) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Save one PDF per discharge into this folder",
                                            str(Path.home())) or None


class PrintSummariesDialog(QDialog):
    progressed = Signal(int, int)  # from the worker thread: queued onto the UI thread

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[DischargeRow] = []
        self.printed: list[PrintedSummary] = []  # the last ones fetched (print or save)
        self.saved: list[Path] = []
        self.pages_printed = 0
        self.choose_preview: Callable[[QWidget, QPrinter, Callable[[QPrinter], None]], bool] = _preview
        self.choose_file: Callable[[QWidget, str], str | None] = _choose_file
        self.choose_folder: Callable[[QWidget], str | None] = _choose_folder
        self.setWindowTitle("Print discharge summaries")
        self.setObjectName("printSummariesDialog")
        self.setAccessibleName("Print discharge summaries")

        lo, hi = last_month(local_today(ctx.book.clock))
        self.from_edit = UkDateEdit(lo)
        self.from_edit.setAccessibleName("From date")
        self.to_edit = UkDateEdit(hi)
        self.to_edit.setAccessibleName("To date")
        self.show_button = QPushButton("&Show")
        self.show_button.clicked.connect(self.load)
        grid = QGridLayout()
        for col, (text, edit) in enumerate((("&From", self.from_edit), ("&To", self.to_edit))):
            caption = QLabel(text)
            caption.setBuddy(edit)
            grid.addWidget(caption, 0, col)
            grid.addWidget(edit, 1, col)
        grid.addWidget(self.show_button, 1, 2)
        grid.setColumnStretch(3, 1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Discharges in these dates")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(lambda _i: self._update_buttons())

        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        self.progress = QProgressBar()
        self.progress.hide()
        self.progressed.connect(self._progressed)
        self.all_button = QPushButton("Tick &all")
        self.all_button.clicked.connect(lambda: self._tick_all(True))
        self.none_button = QPushButton("Tick &none")
        self.none_button.clicked.connect(lambda: self._tick_all(False))
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self.print_summaries)
        self.save_mode = QComboBox()
        self.save_mode.setAccessibleName("Save as")
        for key, label in SAVE_MODES:
            self.save_mode.addItem(label, key)
        self.save_button = QPushButton("Save as P&DF…")
        self.save_button.clicked.connect(self.save_summaries)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        actions = QHBoxLayout()
        for button in (self.all_button, self.none_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for widget in (self.print_button, self.save_mode, self.save_button, self.close_button):
            actions.addWidget(widget)
        note = QLabel("A saved PDF is health data outside the unit's database: it is readable by you only. "
                      "Keep it safe and delete it when you are done.")
        note.setObjectName("muted")
        note.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)
        lay.addWidget(self.progress)
        lay.addLayout(actions)
        lay.addWidget(note)
        self.resize(860, 520)
        self._update_buttons()

    # the list ----------------------------------------------------------------------------------
    def dates(self) -> tuple[date, date] | None:
        lo, hi = self.from_edit.value(), self.to_edit.value()
        if lo is None or hi is None:
            return None
        return lo, hi

    def load(self) -> None:
        from keyworker import discharge_summaries as ds

        chosen = self.dates()
        if chosen is None:
            self._said("⚠ Give both dates.")
            return
        book = self.ctx.book
        self._said("Looking up discharges…")
        self.ctx.tasks.run(lambda: ds.rows_between(book, *chosen), self._show, self._failed)

    def _show(self, rows: list[DischargeRow]) -> None:
        self.rows = rows
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            tick = QTableWidgetItem()
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            tick.setCheckState(Qt.CheckState.Checked)
            tick.setData(Qt.ItemDataRole.UserRole, row.id)
            tick.setData(Qt.ItemDataRole.AccessibleTextRole, f"Print {row.resident_name}'s summary")
            self.table.setItem(r, 0, tick)
            for c, text in enumerate((format_datetime(row.occurred_at), row.resident_name, row.reference,
                                      row.type_label, paper_words(row)), start=1):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.blockSignals(False)
        lo, hi = self.dates() or (None, None)
        if not rows:
            self._said(f"No discharges from {lo:%d/%m/%Y} to {hi:%d/%m/%Y}." if lo and hi else "No discharges.")
        else:
            waiting = sum(1 for r in rows if not r.letter_document_id)
            self._said(f"{len(rows)} discharge{'s' if len(rows) != 1 else ''}."
                       + (f" {waiting} without a complete summary yet: a page in front says so." if waiting else ""))
        self._update_buttons()

    def chosen_ids(self) -> list[str]:
        out: list[str] = []
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def set_ticked(self, row: int, ticked: bool) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def _tick_all(self, ticked: bool) -> None:
        for r in range(self.table.rowCount()):
            self.set_ticked(r, ticked)

    def _update_buttons(self) -> None:
        any_chosen = bool(self.chosen_ids())
        for b in (self.print_button, self.save_button):
            b.setEnabled(any_chosen)

    # fetching --------------------------------------------------------------------------------------
    def _fetch(self, purpose: str, then: Callable[[list[PrintedSummary]], None]) -> None:
        from keyworker import discharge_summaries as ds

        ids = set(self.chosen_ids())
        book = self.ctx.book
        by_id = {r.id: r for r in self.rows}
        rows = [by_id[i] for i in (r.id for r in self.rows) if i in ids]
        many = len(rows) > MANY
        if many:
            self.progress.setRange(0, len(rows))
            self.progress.setValue(0)
            self.progress.show()

        def work() -> list[PrintedSummary]:
            out = []
            for i, row in enumerate(rows):
                out.append(ds.summary_of(book, row, purpose))
                if many:
                    self.progressed.emit(i + 1, len(rows))
            return out

        def got(items: list[PrintedSummary]) -> None:
            self.printed = items
            then(items)

        self._said("Getting the summaries ready…")
        self.ctx.tasks.run(work, got, self._failed, pool=False)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    # printing --------------------------------------------------------------------------------------
    def print_summaries(self) -> None:
        if not self.chosen_ids():
            return
        self._fetch("print", self._print_fetched)

    def _print_fetched(self, items: list[PrintedSummary]) -> None:
        from keyworker import discharge_summaries as ds

        self.progress.hide()
        pdf = ds.combined(items)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName("Discharge summaries")
        def paint(p: QPrinter) -> None:
            self.print_to(p, pdf)

        if self.choose_preview(self, printer, paint):
            self._said(f"✓ {len(items)} discharge summar{'y' if len(items) == 1 else 'ies'} sent to the printer.")
        else:
            self._said("Not printed.")

    def print_to(self, printer: QPrinter, pdf: bytes | None = None) -> int:
        """Paint the summaries onto `printer` (the preview's or the printer's). "Print to file" is
        written owner-only by the core, not by Qt. Returns the pages."""
        from keyworker import discharge_summaries as ds
        from ui.documents.viewer import send_to_printer

        data = pdf if pdf is not None else ds.combined(self.printed)
        try:
            pages, _file = send_to_printer(data, printer)
        except (OSError, ValueError) as e:
            show_error(self, e)
            return 0
        self.pages_printed = pages
        return pages

    # saving ----------------------------------------------------------------------------------------
    def save_summaries(self) -> None:
        if not self.chosen_ids():
            return
        mode = self.save_mode.currentData()
        if mode == "each":
            folder = self.choose_folder(self)
            if not folder:
                return
            self._fetch("save", lambda items: self._save(items, folder=Path(folder)))
        else:
            lo, hi = self.dates() or (date.today(), date.today())
            target = self.choose_file(self, f"discharge-summaries-{lo:%Y-%m-%d}-to-{hi:%Y-%m-%d}.pdf")
            if not target:
                return
            self._fetch("save", lambda items: self._save(items, file=Path(target)))

    def _save(self, items: list[PrintedSummary], *, folder: Path | None = None, file: Path | None = None) -> None:
        from keyworker import discharge_summaries as ds

        def work() -> list[Path]:
            if folder is not None:
                # A second save into the same folder replaces what the first wrote (the user chose it).
                return ds.save_each(items, folder, overwrite=True)
            assert file is not None
            return [ds.save_combined(items, file)]

        def saved(paths: list[Path]) -> None:
            self.progress.hide()
            self.saved = paths
            where = folder if folder is not None else (paths[0] if paths else "")
            self._said(f"✓ Saved {len(items)} discharge summar{'y' if len(items) == 1 else 'ies'} to {where} "
                       "(readable by you only).")

        self.ctx.tasks.run(work, saved, self._failed, pool=True)

    # --------------------------------------------------------------------------------------------
    def _said(self, text: str) -> None:
        self.status.setText(text)

    def _failed(self, exc: BaseException) -> None:
        from keyworker.errors import StorageError, ValidationError

        self.progress.hide()
        if isinstance(exc, ValidationError):
            self._said("⚠ " + " ".join(exc.fields.values()))
        elif isinstance(exc, StorageError):
            self._said(f"⚠ {exc}")
        else:
            show_error(self, exc)


def open_print_summaries(ctx: AppContext, parent: QWidget | None = None) -> PrintSummariesDialog:
    """Open the dialog on last month's discharges (the list loads off the UI thread)."""
    dlg = PrintSummariesDialog(ctx, parent)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    dlg.load()
    return dlg


__all__ = ["PrintSummariesDialog", "last_month", "open_print_summaries"]

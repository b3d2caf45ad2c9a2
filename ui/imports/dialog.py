"""File → Import: bring residents and open referrals in from a CSV file. Choosing a file runs a
dry run at once (nothing is written) and lists every problem by row, column and message; then
"Import" (all or nothing) or "Import valid rows only". The work runs off the UI thread; a bar shows
how many rows are done (the core reports from the worker thread, a queued signal brings it here)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.imports import ImportReport
from keyworker.security.permissions import Permission
from ui.errors import show_error
from ui.forms.dialog import LockCover
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext


def _default_choose_file(parent: QWidget, start: str) -> str | None:
    path, _f = QFileDialog.getOpenFileName(parent, "Choose a CSV file to import", start,
                                           "CSV files (*.csv *.txt);;All files (*)")
    return path or None


class ProgressRelay(QObject):
    """Lives on the UI thread. `report(done, total)` may be called from any thread: the signal is
    queued to the UI thread when it is (the import's callback runs on the task runner's thread)."""

    progressed = Signal(int, int)

    def report(self, done: int, total: int) -> None:
        try:
            self.progressed.emit(done, total)
        except RuntimeError:  # the dialog is gone (app shutting down): the import itself goes on
            pass


def column_label(column: str) -> str:
    return column.replace("_", " ").capitalize() if column else "(whole row)"


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path: Path | None = None
        self.report: ImportReport | None = None
        self.final: ImportReport | None = None
        self.choose_file: Callable[[QWidget, str], str | None] = _default_choose_file
        self._running = False
        self.setWindowTitle("Import residents and referrals")
        self.setAccessibleName("Import residents and referrals")
        self.resize(820, 600)

        v = QVBoxLayout(self)
        self.cover = LockCover(self)
        v.addWidget(self.cover)
        self.body = QWidget()
        b = QVBoxLayout(self.body)
        b.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("Choose a CSV file with one resident or open referral per row. It is checked first: "
                       "nothing is written until you choose to import.")
        intro.setWordWrap(True)
        b.addWidget(intro)
        row = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("No file chosen")
        self.file_edit.setAccessibleName("File to import")
        self.choose_button = QPushButton("&Choose CSV…")
        self.choose_button.setAccessibleName("Choose CSV file")
        self.check_button = QPushButton("Check &again")
        self.check_button.setAccessibleName("Check the file again (dry run)")
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.check_button)
        b.addLayout(row)
        # A file that is not UTF-8 is refused (rows named) until the person says what it is.
        enc = QHBoxLayout()
        enc_label = QLabel("&Encoding:")
        enc.addWidget(enc_label)
        self.encoding = QComboBox()
        self.encoding.setAccessibleName("File encoding")
        self.encoding.addItem("UTF-8 (Excel's 'CSV UTF-8'; detected)", None)
        self.encoding.addItem("Windows-1252 (older Excel on Windows)", "windows-1252")
        enc_label.setBuddy(self.encoding)
        enc.addWidget(self.encoding)
        enc.addStretch(1)
        b.addLayout(enc)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        b.addWidget(self.summary)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(("Row", "Column", "Problem"))
        self.table.setAccessibleName("Problems found")
        read_only_table(self.table)
        self.table.setWordWrap(True)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        b.addWidget(self.table, 1)
        v.addWidget(self.body, 1)
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setAccessibleName("Import progress")
        self.progress.setFormat("%p%")
        self.progress.hide()
        v.addWidget(self.progress)
        self.relay = ProgressRelay(self)
        self.relay.progressed.connect(self._progressed)
        self._phase = ""
        self.status = QLabel()
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        v.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton("&Import")
        self.import_button.setAccessibleName("Import all rows")
        self.valid_only_button = QPushButton("Import &valid rows only")
        self.valid_only_button.setAccessibleName("Import valid rows only")
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        for btn in (self.import_button, self.valid_only_button, self.close_button):
            buttons.addWidget(btn)
        v.addLayout(buttons)

        self.choose_button.clicked.connect(self.choose)
        self.check_button.clicked.connect(self.check)
        self.encoding.currentIndexChanged.connect(lambda _i: self.check())
        self.import_button.clicked.connect(lambda: self.run_import(valid_only=False))
        self.valid_only_button.clicked.connect(lambda: self.run_import(valid_only=True))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Open, self, activated=self.choose)
        ctx.state.locked_changed.connect(self._on_locked)
        self._on_locked(ctx.locked_now())
        self.allowed = ctx.book.actor.can(Permission.IMPORT)
        if not self.allowed:
            self.status.setText("Your role cannot import. Ask a senior (manager) or an administrator.")
            self.choose_button.setEnabled(False)
        self._update_buttons()

    # -- choosing and checking --------------------------------------------------------------
    def choose(self) -> None:
        if not self.allowed or self._running:
            return
        start = str(self.path.parent) if self.path else str(Path.home())
        chosen = self.choose_file(self, start)
        if chosen:
            self.set_file(chosen)

    def set_file(self, path: str | Path) -> None:
        """Use this file and check it at once (a dry run)."""
        self.path = Path(path)
        self.file_edit.setText(str(self.path))
        self.final = None
        self.check()

    def check(self) -> None:
        if self.path is None or self._running:
            return
        self._run(dry_run=True, valid_only=False)

    def run_import(self, *, valid_only: bool) -> None:
        if self.report is None or self._running:
            return
        self._run(dry_run=False, valid_only=valid_only)

    def _run(self, *, dry_run: bool, valid_only: bool) -> None:
        book, path, report, encoding = self.ctx.book, self.path, self.relay.report, self.encoding.currentData()
        assert path is not None
        self._phase = "Checking the file" if dry_run else "Importing"
        self._set_running(True, f"{self._phase}…")
        self.progress.setRange(0, 0)  # reading the file: busy until the first count of rows arrives
        self.progress.show()
        self.ctx.tasks.run(lambda: book.imports.residents(path, valid_only=valid_only, dry_run=dry_run,
                                                          progress=report, encoding=encoding),
                           self._done, self._failed)

    def _progressed(self, done: int, total: int) -> None:
        if not self._running:
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done if total else 1)
        self.status.setText(f"{self._phase}… {done:,} of {total:,} row{'s' if total != 1 else ''}")

    def _done(self, report: ImportReport) -> None:
        self.progress.setRange(0, max(report.rows, 1))
        self.progress.setValue(self.progress.maximum())  # finished: 100%, kept in view beside the summary
        if report.dry_run:
            self.report = report
        else:
            self.final = report
            if report.imported:
                self.report = None  # imported: a second import of the same check makes no sense
        self._set_running(False)
        self._show(report)
        if not report.dry_run and report.imported:
            self.ctx.state.data_changed.emit("residents")
            self.ctx.state.data_changed.emit("referrals")

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self._set_running(False)
        self.report = None
        self.summary.setText("The file could not be read.")
        self._update_buttons()
        show_error(self, exc)

    def _show(self, r: ImportReport) -> None:
        head = [f"{r.rows} row{'s' if r.rows != 1 else ''} read: {r.ok} valid and new, {r.invalid} with problems, "
                f"{r.duplicates} already here (will be skipped)."]
        if r.ignored_columns:
            head.append("Columns not recognised (ignored): " + ", ".join(r.ignored_columns) + ".")
        if r.dry_run:
            head.append("Checked only: nothing has been imported yet.")
        elif r.imported:
            head.append(f"Imported {r.residents_imported} resident{'s' if r.residents_imported != 1 else ''} and "
                        f"{r.referrals_imported} open referral{'s' if r.referrals_imported != 1 else ''}.")
        elif r.nothing_imported_because_invalid:
            head.append("Nothing was imported because some rows have problems. Correct them, or import "
                        "the valid rows only.")
        else:
            head.append("Nothing new to import.")
        self.summary.setText(" ".join(head))
        self.table.setRowCount(len(r.problems))
        for i, p in enumerate(r.problems):
            for j, text in enumerate((str(p.row), column_label(p.column), p.message)):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(r.problems))
        self._update_buttons()

    def _set_running(self, running: bool, text: str = "") -> None:
        self._running = running
        self.status.setText(text)
        for w in (self.choose_button, self.check_button, self.close_button, self.encoding):
            w.setEnabled(not running and (self.allowed or w is self.close_button))
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.report
        ready = r is not None and r.dry_run and not self._running and self.allowed
        self.import_button.setEnabled(bool(ready and r and r.invalid == 0 and r.ok > 0))
        self.valid_only_button.setEnabled(bool(ready and r and r.invalid > 0 and r.ok > 0))
        self.check_button.setEnabled(self.path is not None and not self._running and self.allowed)

    def problems(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(i, j).text() for j in range(3))  # type: ignore[misc]
                for i in range(self.table.rowCount())]

    def reject(self) -> None:
        if self._running:  # an import is never abandoned half-way
            return
        super().reject()

    def _on_locked(self, locked: bool) -> None:
        self.body.setVisible(not locked)
        self.cover.setVisible(locked)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, path: str | Path | None = None) -> ImportReport | None:
        """Show the dialog; returns the report of the import made, or None if nothing was imported."""
        dlg = cls(parent, ctx)
        if path is not None:
            dlg.set_file(path)
        dlg.exec()
        return dlg.final if dlg.final is not None and dlg.final.imported else None


def open_import_dialog(ctx: AppContext, parent: QWidget | None = None) -> Any:
    """For a File → Import… menu action."""
    return ImportDialog.ask(parent or ctx.main_window, ctx)

"""File → Import: bring residents and open referrals in from a CSV file. Choosing a file runs a
dry run at once (nothing is written) and lists every problem by row, person, column (as the file
heads it) and message; then "Import" (all or nothing) or "Import valid rows only". Admissions that
ended long ago are listed too, with the choice to import them as discharged. The work runs off the
UI thread; a bar shows how many rows are done (the core reports from the worker thread, a queued
signal brings it here). The list keeps its place whatever it shows, so nothing jumps about."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keyworker.errors import KeyworkerError
from keyworker.imports import ImportReport
from keyworker.security.permissions import Permission
from ui.errors import show_error
from ui.forms.dialog import LockCover
from ui.widgets.tables import read_only_table

if TYPE_CHECKING:
    from ui.context import AppContext


EMPTY_NOTE = ("Choose a CSV file (Ctrl+O) and it is checked at once: every problem is listed here by row, "
              "person and column. Not sure which columns to use? Save a sample file and open it in your "
              "spreadsheet.")


def _default_choose_file(parent: QWidget, start: str) -> str | None:
    path, _f = QFileDialog.getOpenFileName(parent, "Choose a CSV file to import", start,
                                           "CSV files (*.csv *.txt);;All files (*)")
    return path or None


def _default_choose_save(parent: QWidget, start: str) -> str | None:
    path, _f = QFileDialog.getSaveFileName(parent, "Save a sample caseload file", start, "CSV files (*.csv)")
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


def column_label(heading: str) -> str:
    return heading or "(whole row)"


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path: Path | None = None
        self.report: ImportReport | None = None
        self.final: ImportReport | None = None
        self.choose_file: Callable[[QWidget, str], str | None] = _default_choose_file
        self.choose_save: Callable[[QWidget, str], str | None] = _default_choose_save
        self.sample_saved: Path | None = None
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
        self.file_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # shows the path; focus starts on Choose
        self.choose_button = QPushButton("&Choose CSV…")
        self.choose_button.setAccessibleName("Choose CSV file")
        self.check_button = QPushButton("Check &again")
        self.check_button.setAccessibleName("Check the file again (dry run)")
        self.sample_button = QPushButton("Save a &sample file…")
        self.sample_button.setAccessibleName("Save a sample CSV file")
        self.sample_button.setToolTip("A CSV file with the headings Keyworker reads and a few made-up rows, "
                                      "dated from today: fill it in from your spreadsheet.")
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.check_button)
        row.addWidget(self.sample_button)
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
        # Room for three lines whatever it says, so the list below does not move as it changes.
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        b.addWidget(self.summary)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("Row", "Person", "Column", "Problem"))
        self.table.setAccessibleName("Problems found")
        read_only_table(self.table)
        self.table.setWordWrap(True)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        # The list, or in its place what there is to say instead (no problems; the file is unreadable).
        self.note = QLabel(EMPTY_NOTE)
        self.note.setObjectName("importNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.setMargin(24)
        self.results = QStackedWidget()
        self.results.addWidget(self.table)
        self.results.addWidget(self.note)
        self.results.setCurrentWidget(self.note)
        b.addWidget(self.results, 1)
        v.addWidget(self.body, 1)
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setAccessibleName("Import progress")
        self.progress.setFormat("%p%")
        self.progress.setTextVisible(True)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)  # over the bar, not squeezed beside it
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # hidden or shown, the bar's place is kept
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        v.addWidget(self.progress)
        self.relay = ProgressRelay(self)
        self.relay.progressed.connect(self._progressed)
        self._phase = ""
        self.status = QLabel()
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing())
        v.addWidget(self.status)
        buttons = QHBoxLayout()
        self.as_discharged = QCheckBox("Import admissions that ended &long ago as discharged")
        self.as_discharged.setAccessibleName("Import admissions that ended long ago as discharged")
        self.as_discharged.setToolTip("Each is closed on its planned end date. Leave it unticked to import "
                                      "them as current residents.")
        keep_cb = self.as_discharged.sizePolicy()
        keep_cb.setRetainSizeWhenHidden(True)
        self.as_discharged.setSizePolicy(keep_cb)
        self.as_discharged.hide()
        buttons.addWidget(self.as_discharged)
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
        self.sample_button.clicked.connect(self.save_sample)
        self.encoding.currentIndexChanged.connect(lambda _i: self.check())
        self.as_discharged.toggled.connect(lambda _on: self.check())  # the list says what will happen
        self.import_button.clicked.connect(lambda: self.run_import(valid_only=False))
        self.valid_only_button.clicked.connect(lambda: self.run_import(valid_only=True))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Open, self, activated=self.choose)
        ctx.state.locked_changed.connect(self._on_locked)
        self._on_locked(ctx.locked_now())
        self.allowed = ctx.book.actor.can(Permission.IMPORT)
        if not self.allowed:
            self.status.setText("Your role cannot import. Ask a senior (manager) or an administrator.")
            self.note.setText("Your role cannot import. Ask a senior (manager) or an administrator.")
            self.choose_button.setEnabled(False)
            self.sample_button.setEnabled(False)
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

    def save_sample(self) -> None:
        """A sample file with this unit's key workers and today's dates, written owner-only."""
        if not self.allowed or self._running:
            return
        start = str((self.path.parent if self.path else Path.home()) / "caseload-sample.csv")
        chosen = self.choose_save(self, start)
        if not chosen:
            return
        book, target = self.ctx.book, Path(chosen)

        def work() -> Path:
            from keyworker.reports.files import write_private

            return write_private(target, book.imports.sample().encode("utf-8"))

        def done(path: Path) -> None:
            self.sample_saved = path
            self.status.setText(f"Sample file saved as {path}. Open it in your spreadsheet, keep the heading "
                                "row, and put your own rows in place of the made-up ones.")

        self.ctx.tasks.run(work, done, lambda exc: show_error(self, exc))

    def run_import(self, *, valid_only: bool) -> None:
        if self.report is None or self._running:
            return
        self._run(dry_run=False, valid_only=valid_only)

    def _run(self, *, dry_run: bool, valid_only: bool) -> None:
        book, path, report, encoding = self.ctx.book, self.path, self.relay.report, self.encoding.currentData()
        as_discharged = self.as_discharged.isChecked()
        assert path is not None
        self._phase = "Checking the file" if dry_run else "Importing"
        self._set_running(True, f"{self._phase}…")
        self.progress.setRange(0, 0)  # reading the file: busy until the first count of rows arrives
        self.progress.show()
        self.ctx.tasks.run(lambda: book.imports.residents(path, valid_only=valid_only, dry_run=dry_run,
                                                          progress=report, encoding=encoding,
                                                          as_discharged=as_discharged),
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
        # The previous file's problems go: what is wrong with this one takes their place.
        self.table.setRowCount(0)
        self.as_discharged.hide()
        self.summary.setText("The file could not be read.")
        if isinstance(exc, KeyworkerError):
            self.note.setText(str(exc))
        else:
            self.note.setText("Keyworker could not read this file.")
            show_error(self, exc)
        self.note.setProperty("tone", "problem")
        self._repolish(self.note)
        self.results.setCurrentWidget(self.note)
        self._update_buttons()

    def _show(self, r: ImportReport) -> None:
        head = [f"{r.rows} row{'s' if r.rows != 1 else ''} read: {r.ok} valid and new, {r.invalid} with problems, "
                f"{r.duplicates} already here (will be skipped)."]
        if r.ignored_columns:
            head.append("Columns not recognised (ignored): " + ", ".join(r.ignored_columns) + ".")
        if r.ended_long_ago_count:
            head.append(r.ended_summary())
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
        listed = sorted((*r.problems, *r.ended_long_ago), key=lambda p: p.row)
        self.table.setRowCount(len(listed))
        for i, p in enumerate(listed):
            for j, text in enumerate((str(p.row), p.person, column_label(p.heading), p.message)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if j == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        self.as_discharged.setVisible(bool(r.ended_long_ago_count) or self.as_discharged.isChecked())
        self.note.setProperty("tone", "")
        self._repolish(self.note)
        if listed:
            self.results.setCurrentWidget(self.table)
        else:
            self.note.setText("No problems found: every row can be imported." if r.dry_run and r.ok
                              else "No problems found.")
            self.results.setCurrentWidget(self.note)
        self._update_buttons()

    @staticmethod
    def _repolish(w: QWidget) -> None:
        w.style().unpolish(w)
        w.style().polish(w)

    def _set_running(self, running: bool, text: str = "") -> None:
        self._running = running
        self.status.setText(text)
        for w in (self.choose_button, self.check_button, self.sample_button, self.close_button, self.encoding,
                  self.as_discharged):
            w.setEnabled(not running and (self.allowed or w is self.close_button))
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.report
        ready = r is not None and r.dry_run and not self._running and self.allowed
        self.import_button.setEnabled(bool(ready and r and r.invalid == 0 and r.ok > 0))
        self.valid_only_button.setEnabled(bool(ready and r and r.invalid > 0 and r.ok > 0))
        self.check_button.setEnabled(self.path is not None and not self._running and self.allowed)

    def problems(self) -> list[tuple[str, str, str, str]]:
        """(row, person, column, message) as listed."""
        return [tuple(self.table.item(i, j).text() for j in range(4))  # type: ignore[misc]
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

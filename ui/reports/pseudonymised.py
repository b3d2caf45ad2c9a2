"""Pseudonymised extract (issue 15, 11.4.3): a date range, then **Save…** (the line-level CSV and
its summary beside it, owner-only, plaintext) or **Queue to send** (to the destination set for
pseudonymised extracts: an HTTPS API or an SFTP drop, never email). `open_pseudonymised(ctx,
parent)` opens the dialog; the Reports page has its button. The work runs off the UI thread
(`ctx.tasks`); a bar shows when it takes more than half a second. The save-file chooser is an
attribute so tests answer it without a blocking dialog."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from keyworker.clock import local_today
from keyworker.errors import ValidationError
from keyworker.reports import previous_quarter, quarter_of
from ui.errors import show_error
from ui.forms import UkDateEdit
from ui.widgets.busy import busy_bar
from ui.widgets.save_file import choose_save_path

if TYPE_CHECKING:
    from ui.context import AppContext

SHOW_BAR_AFTER_MS = 500
NOTE = ("The extract has no names, dates of birth, postcodes, NHS numbers or references, but it is still "
        "about people: a saved file is not encrypted. Save it only to send it, and delete it once sent.")


def summary_path(target: Path) -> Path:
    return target.with_name(f"{target.stem}-summary{target.suffix or '.csv'}")


def _choose_file(parent: QWidget, suggested: str) -> str | None:
    return choose_save_path(parent, "Save the pseudonymised extract", suggested, ".csv")


def save_extract(book: Any, start: date, end: date, target: Path) -> tuple[int, Path, Path]:
    """Off the UI thread: make the extract and write both files owner-only."""
    from keyworker.reports.files import write_private
    from keyworker.returns.pseudonymised import extract_csv, summary_csv

    extract = book.extracts.pseudonymised(start, end, output="csv")
    write_private(target, extract_csv(extract))
    write_private(summary_path(target), summary_csv(extract))
    return len(extract.rows), target, summary_path(target)


class PseudonymisedDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = False
        self.last_result: Any = None
        self.choose_file: Callable[[QWidget, str], str | None] = _choose_file
        self.setWindowTitle("Pseudonymised extract")
        self.setObjectName("pseudonymisedDialog")
        self.setAccessibleName("Pseudonymised extract")

        last = previous_quarter(quarter_of(local_today(ctx.book.clock)))
        self.from_edit = UkDateEdit(last.start)
        self.from_edit.setAccessibleName("From date")
        self.to_edit = UkDateEdit(last.end)
        self.to_edit.setAccessibleName("To date")
        grid = QGridLayout()
        for col, (text, edit) in enumerate((("&From", self.from_edit), ("&To", self.to_edit))):
            caption = QLabel(text)
            caption.setBuddy(edit)
            grid.addWidget(caption, 0, col)
            grid.addWidget(edit, 1, col)
        grid.setColumnStretch(2, 1)

        about = QLabel("One row per stay in these dates for the Authority: a pseudonymised id per resident (the "
                       "same in every extract), age band, district, months instead of dates. Counts under 5 in "
                       "the summary are shown as \"<5\".")
        about.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        self.bar = busy_bar("Making the extract")
        self._bar_timer = QTimer(self)
        self._bar_timer.setSingleShot(True)
        self._bar_timer.timeout.connect(lambda: self.bar.setVisible(self.busy))

        self.save_button = QPushButton("&Save…")
        self.save_button.setAccessibleName("Save the extract as CSV files")
        self.save_button.clicked.connect(self.save)
        self.queue_button = QPushButton("&Queue to send")
        self.queue_button.setObjectName("primary")
        self.queue_button.setAccessibleName("Queue the extract to send to the Authority")
        self.queue_button.setToolTip("Sent by the outbox to the destination set for pseudonymised extracts "
                                     "(Administration → Destinations): an HTTPS API or an SFTP drop.")
        self.queue_button.clicked.connect(self.queue)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for b in (self.save_button, self.queue_button, close):
            actions.addWidget(b)
        note = QLabel(NOTE)
        note.setObjectName("muted")
        note.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(about)
        lay.addWidget(self.status)
        lay.addWidget(self.bar)
        lay.addLayout(actions)
        lay.addWidget(note)
        self.resize(620, 280)

    def dates(self) -> tuple[date, date] | None:
        lo, hi = self.from_edit.value(), self.to_edit.value()
        if lo is None or hi is None:
            self.status.setText("⚠ Give both dates (dd/mm/yyyy).")
            return None
        if hi < lo:
            self.status.setText("⚠ The 'to' date is before the 'from' date.")
            return None
        return lo, hi

    def _start(self, words: str) -> None:
        self.busy = True
        self.save_button.setEnabled(False)
        self.queue_button.setEnabled(False)
        self.status.setText(words)
        self._bar_timer.start(SHOW_BAR_AFTER_MS)

    def _stop(self) -> None:
        self.busy = False
        self._bar_timer.stop()
        self.bar.hide()
        self.save_button.setEnabled(True)
        self.queue_button.setEnabled(True)

    def save(self) -> None:
        chosen = self.dates()
        if chosen is None or self.busy:
            return
        lo, hi = chosen
        picked = self.choose_file(self, f"pseudonymised-extract-{lo.isoformat()}_{hi.isoformat()}.csv")
        if not picked:
            return
        book, target = self.ctx.book, Path(picked)
        self._start("Making the extract…")
        self.ctx.tasks.run(lambda: save_extract(book, lo, hi, target), self._saved, self._failed)

    def _saved(self, result: tuple[int, Path, Path]) -> None:
        self._stop()
        self.last_result = result
        rows, target, summary = result
        self.status.setText(f"✓ {rows} stays saved to {target.name} and {summary.name} (readable by you only; "
                            "not encrypted).")

    def queue(self) -> None:
        chosen = self.dates()
        if chosen is None or self.busy:
            return
        lo, hi = chosen
        book = self.ctx.book
        self._start("Making the extract and putting it in the outbox…")
        self.ctx.tasks.run(lambda: book.extracts.queue_pseudonymised(lo, hi), self._queued, self._failed)

    def _queued(self, sent: Any) -> None:
        self._stop()
        self.last_result = sent
        how = "HTTPS API" if sent.transport == "https" else "SFTP drop"
        if sent.created:
            self.status.setText(f"✓ {sent.rows} stays queued to send to {sent.destination_name} ({how}).")
            self.ctx.state.data_changed.emit("outbox")
        else:
            self.status.setText(f"This extract is already in the outbox for {sent.destination_name}; "
                                "nothing was added.")

    def _failed(self, exc: BaseException) -> None:
        self._stop()
        if isinstance(exc, ValidationError):
            self.status.setText("⚠ " + " ".join(str(v) for v in exc.fields.values()))
            return
        self.status.setText("")
        show_error(self, exc)


def open_pseudonymised(ctx: AppContext, parent: QWidget | None = None) -> PseudonymisedDialog:
    dlg = PseudonymisedDialog(ctx, parent)
    dlg.show()
    return dlg

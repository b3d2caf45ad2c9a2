"""Preview, print and save a PDF the core produced (letters, summaries, plans). Used by every area:
`show_pdf(parent, ctx, title, source)`, the source being PDF bytes, a stored document's id, or a
`Preview` (a document not yet filed). A stored document is fetched through
`book.documents.content(id, purpose)` so each view, print and save is audited; a preview is filed
(`book.documents.keep`) the first time it is printed or saved, never by looking at it.

Every file this window writes (Save as PDF, or a print dialog's "Print to file") goes through
`write_private`: owner-only (0600), never through a symlink. Qt never writes the file itself.

The print dialog and the save-file dialog are attributes (`choose_printer`, `choose_save_path`) so
tests can drive the viewer without a blocking dialog."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.errors import show_error
from ui.forms.confirm import ask_to_go_on
from ui.forms.dialog import BusyBar, LockCover
from ui.widgets.save_file import choose_save_path

try:  # QtPdf ships in PySide6-Addons; without it the viewer still saves the file.
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    HAVE_QTPDF = True
except ImportError:  # pragma: no cover - depends on the installed wheels
    HAVE_QTPDF = False

from PySide6.QtPrintSupport import QPrintDialog, QPrinter

if TYPE_CHECKING:
    from keyworker.documents.store import Preview
    from ui.context import AppContext


def safe_file_name(title: str) -> str:
    name = re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")
    return (name or "document") + ".pdf"


def _default_choose_printer(parent: QWidget, printer: QPrinter) -> bool:
    dlg = QPrintDialog(printer, parent)
    dlg.setWindowTitle("Print")
    return dlg.exec() == QDialog.DialogCode.Accepted.value


def _default_choose_save_path(parent: QWidget, suggested: str) -> str | None:
    return choose_save_path(parent, "Save as PDF", suggested, ".pdf")


def print_file_name(printer: QPrinter) -> str | None:
    """The file a print dialog's "Print to file" chose, or None for a real printer."""
    name = printer.outputFileName()
    return name or None


def send_to_printer(pdf: bytes, printer: QPrinter) -> tuple[int, Path | None]:
    """Print `pdf` as the print dialog chose: on paper (returns the pages printed, None), or, for
    "Print to file", the PDF itself written owner-only (returns its pages and the file). Qt would
    write the file with the umask's mode (0644): it is health data outside the database."""
    target = print_file_name(printer)
    if target is None:
        return render_to_printer(pdf, printer), None
    from keyworker.reports.files import write_private

    doc = _pdf_document(pdf)
    pages = doc.pageCount()
    doc.close()
    return pages, write_private(target, pdf)


def _pdf_document(pdf: bytes) -> QPdfDocument:
    doc = QPdfDocument()
    buf = QBuffer(doc)
    buf.setData(QByteArray(pdf))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    doc.load(buf)
    if doc.status() != QPdfDocument.Status.Ready:
        raise ValueError("The document could not be read for printing.")
    return doc


def render_to_printer(pdf: bytes, printer: QPrinter) -> int:
    """Paint every page of `pdf` onto `printer`, each scaled to fit the printable area. Returns pages printed."""
    doc = _pdf_document(pdf)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("The printer could not be started.")
    # Rendered at up to 300 dpi: sharp on paper without building gigantic page images.
    dpi = min(printer.resolution(), 300)
    pages = doc.pageCount()
    try:
        for i in range(pages):
            if i:
                printer.newPage()
            size = doc.pagePointSize(i)
            target = painter.viewport()
            image = doc.render(i, QSize(int(size.width() * dpi / 72), int(size.height() * dpi / 72)))
            fit = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(target.x(), target.y(), fit.width(), fit.height()), image)
    finally:
        painter.end()
        doc.close()
    return pages


class PdfDialog(QDialog):
    """A document window: the pages (QPdfView), Print (Ctrl+P), Save as PDF (Ctrl+Shift+S), Close (Esc)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, title: str, source: bytes | str | Preview) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.title = title
        self.document_id: str | None = source if isinstance(source, str) else None
        # A preview is filed when it is first printed or saved; then it is a stored document.
        self.preview: Preview | None = None if isinstance(source, (bytes, str)) else source
        self.pdf: bytes | None = source if isinstance(source, bytes) else (
            self.preview.content if self.preview is not None else None)
        self.choose_printer: Callable[[QWidget, QPrinter], bool] = _default_choose_printer
        self.choose_save_path: Callable[[QWidget, str], str | None] = _default_choose_save_path
        # Asked before a preview is kept while the unit profile lacks something letters need.
        self.confirm_incomplete: Callable[[QWidget, str], bool] = (
            lambda w, text: ask_to_go_on(w, text, "Keep it anyway", "Before the document is kept"))
        self.printer: QPrinter | None = None
        self.saved_to: Path | None = None
        self.pages_printed = 0
        self._after_load: Callable[[], None] | None = None  # print/save asked for before the PDF arrived
        self.setWindowTitle(title)
        self.setAccessibleName(f"Document: {title}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 900)

        layout = QVBoxLayout(self)
        self.cover = LockCover(self)
        layout.addWidget(self.cover)
        self.status = QLabel("Loading…")
        self.status.setObjectName("pdfStatus")
        layout.addWidget(self.status)
        # What happens to the document next (for instance: the outbox sends it), when the caller says.
        self.note = QLabel()
        self.note.setObjectName("pdfNote")
        self.note.setWordWrap(True)
        self.note.setAccessibleName("What happens to this document")
        self.note.hide()
        layout.addWidget(self.note)
        self.send_button: QPushButton | None = None
        self.busy = BusyBar(self)
        layout.addWidget(self.busy)
        self.view: QWidget
        if HAVE_QTPDF:
            self.document = QPdfDocument(self)
            self._buffer = QBuffer(self)
            view = QPdfView(self)
            view.setPageMode(QPdfView.PageMode.MultiPage)
            view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            view.setAccessibleName("Document pages")
            view.setDocument(self.document)
            self.view = view
        else:  # pragma: no cover
            self.view = QLabel("A preview cannot be shown on this computer. Print it or save it as PDF.")
        layout.addWidget(self.view, 1)

        row = QHBoxLayout()
        row.addStretch(1)
        self.print_button = QPushButton("&Print…")
        self.print_button.setAccessibleName("Print")
        self.print_button.setToolTip("Ctrl+P")
        self.save_button = QPushButton("Save as P&DF…")
        self.save_button.setAccessibleName("Save as PDF")
        self.save_button.setToolTip("Ctrl+Shift+S")
        self.close_button = QPushButton("&Close")
        self.close_button.setAccessibleName("Close")
        for b in (self.print_button, self.save_button, self.close_button):
            row.addWidget(b)
        layout.addLayout(row)
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(self.save_document)
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_document)
        QShortcut(QKeySequence("Ctrl+Shift+S"), self, activated=self.save_document)
        self._set_enabled(False)
        ctx.state.locked_changed.connect(self._on_locked)
        self._load()

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> None:
        if self.pdf is not None:
            self._show(self.pdf)
            return
        book, doc_id = self.ctx.book, self.document_id
        self.busy.start()
        self.ctx.tasks.run(lambda: book.documents.content(doc_id, "view"), self._show, self._failed)

    def _show(self, pdf: bytes) -> None:
        self.busy.stop()
        self.pdf = pdf
        if HAVE_QTPDF:
            self._buffer.close()
            self._buffer.setData(QByteArray(pdf))
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self.document.load(self._buffer)
            pages = self.document.pageCount()
            if self.document.status() == QPdfDocument.Status.Error:
                self.status.setText("This document could not be shown. You can still save it.")
                self.save_button.setEnabled(True)
                return
            self.status.setText(f"{self.title} — {pages} page{'s' if pages != 1 else ''}")
        else:  # pragma: no cover
            self.status.setText(self.title)
        self._set_enabled(True)
        action, self._after_load = self._after_load, None
        if action is not None:
            action()

    def _failed(self, exc: BaseException) -> None:
        self.busy.stop()
        self.status.setText("The document could not be loaded.")
        show_error(self, exc)

    def _set_enabled(self, enabled: bool) -> None:
        self.print_button.setEnabled(enabled and HAVE_QTPDF)
        self.save_button.setEnabled(enabled)

    # -- what happens next, and sending by the outbox -------------------------------------------
    def set_note(self, text: str) -> None:
        """A line under the title saying what happens to this document (empty: none)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def offer_send(self, label: str, send: Callable[[], Any], said: Callable[[Any], str]) -> QPushButton:
        """A button that puts this document in the outbox through `send` (a service call, run off
        the UI thread); `said(result)` is the note shown afterwards. The stored document it
        returns (`result.document_id`) is what later prints and saves fetch."""
        button = QPushButton(label)
        button.setAccessibleName(label.replace("&", ""))
        row = self.layout().itemAt(self.layout().count() - 1)
        assert row is not None and row.layout() is not None
        row.layout().insertWidget(1, button)  # after the stretch: before Print
        button.setVisible(not self.ctx.state.locked)  # now, not when the event loop next runs
        self.send_button = button

        def done(result: Any) -> None:
            self.busy.stop()
            doc_id = getattr(result, "document_id", None)
            if doc_id:
                self.document_id, self.preview = doc_id, None
            button.hide()
            self.set_note(said(result))
            self.ctx.state.data_changed.emit("outbox")

        def failed(exc: BaseException) -> None:
            self.busy.stop()
            button.setEnabled(True)
            show_error(self, exc)

        def go() -> None:
            if self.ctx.state.locked:
                return
            button.setEnabled(False)
            self.busy.start()
            self.ctx.tasks.run(send, done, failed)

        button.clicked.connect(go)
        return button

    # -- print and save ---------------------------------------------------------------------
    def _fetch_for(self, purpose: str, then: Callable[[bytes], Any]) -> None:
        """A stored document is fetched again for printing/saving so the audit trail says so; a
        preview is filed first (its audit entries say it was printed or saved)."""
        book = self.ctx.book
        if self.document_id is None and self.preview is not None:
            preview = self.preview
            self.busy.start()

            def kept(info: Any) -> None:
                self.busy.stop()
                self.document_id, self.preview = info.id, None
                assert self.pdf is not None
                then(self.pdf)

            def checked(missing: list[str]) -> None:
                self.busy.stop()
                if missing and not self.confirm_incomplete(
                        self, "The unit profile has no " + ", ".join(missing) + ", so this document goes "
                        "without it. Ask an administrator or senior to complete Administration → Unit."):
                    return
                self.busy.start()
                self.ctx.tasks.run(lambda: book.documents.keep(preview, purpose), kept, self._failed)

            self.ctx.tasks.run(lambda: book.unit_profile.get().missing(), checked, self._failed)
            return
        if self.document_id is None:
            assert self.pdf is not None
            then(self.pdf)
            return
        doc_id = self.document_id
        self.busy.start()

        def done(pdf: bytes) -> None:
            self.busy.stop()
            then(pdf)

        self.ctx.tasks.run(lambda: book.documents.content(doc_id, purpose), done, self._failed)

    def print_document(self) -> None:
        if self.pdf is None:
            self._after_load = self.print_document
            return
        if not self.print_button.isEnabled():
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.title)
        if not self.choose_printer(self, printer):
            return
        self.printer = printer
        to_file = print_file_name(printer) is not None

        def go(pdf: bytes) -> None:
            from keyworker.errors import StorageError

            try:
                self.pages_printed, saved = send_to_printer(pdf, printer)
            except (OSError, ValueError, StorageError) as e:
                show_error(self, e)
                return
            if saved is not None:
                self.saved_to = saved
                self.status.setText(f"Saved to {saved}")
                return
            self.status.setText(f"Sent {self.pages_printed} page{'s' if self.pages_printed != 1 else ''} "
                                "to the printer.")

        self._fetch_for("save" if to_file else "print", go)

    def save_document(self) -> None:
        if self.pdf is None:
            self._after_load = self.save_document
            return
        path = self.choose_save_path(self, safe_file_name(self.title))
        if not path:
            return

        def go(pdf: bytes) -> None:
            from keyworker.errors import StorageError
            from keyworker.reports.files import write_private  # owner-only, never through a symlink

            try:
                target = write_private(path, pdf)
            except StorageError as e:
                show_error(self, e)
                return
            self.saved_to = target
            self.status.setText(f"Saved to {target}")

        self._fetch_for("save", go)

    def _on_locked(self, locked: bool) -> None:
        self.view.setVisible(not locked)
        self.cover.setVisible(locked)
        for b in (self.print_button, self.save_button):
            b.setVisible(not locked)
        if self.send_button is not None and self.send_button.isEnabled():
            self.send_button.setVisible(not locked)


def show_pdf(parent: QWidget | None, ctx: AppContext, title: str, source: bytes | str | Preview) -> PdfDialog:
    """Open a document window (non-modal) for PDF bytes, a stored document's id or a `Preview`; returns it."""
    dlg = PdfDialog(parent, ctx, title, source)
    dlg.show()
    dlg.raise_()
    return dlg

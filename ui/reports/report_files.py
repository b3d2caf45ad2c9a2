"""Making a report's PDF and showing it, saving its CSV and sending it to the Authority, the
same way for every report panel. The PDF: the report is read again off the UI thread (audited as
a PDF), drawn on the pool, and opened in the shared viewer unless the unit locked meanwhile. The
CSV: made and written owner-only off the UI thread. The panel has `ctx`, `status`,
`_set_busy(busy, text="")`, `_failed(exc)`, and keeps the viewer in `pdf_dialog`, the saved file in
`saved_csv` and what was sent in `last_sent`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def make_and_show_pdf(panel: Any, title: str, fetch: Callable[[], tuple[Any, str]],
                      build: Callable[[Any, str, datetime], bytes]) -> None:
    """`fetch()` -> (report, unit name) on the database thread; `build(report, unit_name, now)` -> PDF."""
    tasks = panel.ctx.tasks

    def rendered(pdf: bytes) -> None:
        from ui.documents import show_pdf

        panel._set_busy(False)
        if panel.ctx.locked_now():  # locked while the PDF was made: show nothing behind the lock
            panel.status.setText("The unit locked before the PDF was ready: ask for it again.")
            return
        panel.pdf_dialog = show_pdf(panel, panel.ctx, title, pdf)

    def made(result: tuple[Any, str]) -> None:
        report, unit_name = result
        tasks.run(lambda: build(report, unit_name, datetime.now(UTC)), rendered, panel._failed, pool=True)

    panel._set_busy(True, "Making the PDF…")
    tasks.run(fetch, made, panel._failed)


def save_csv(panel: Any, path: str, make: Callable[[], bytes]) -> None:
    """`make()` -> the CSV bytes (reads the report again, audited as a CSV), on the database thread;
    written owner-only (0600) at `path`."""

    def work() -> Path:
        from keyworker.reports.files import write_private

        return write_private(path, make())

    def saved(target: Path) -> None:
        panel._set_busy(False)
        panel.saved_csv = target
        panel.status.setText(f"Saved to {target} (owner-only). Delete it once it has been sent.")

    panel._set_busy(True, "Saving the CSV file…")
    panel.ctx.tasks.run(work, saved, panel._failed)


def send_to_authority(panel: Any, send: Callable[[], Any]) -> None:
    """`send()` -> ReportSent (files the report and queues it, in the core), on the database
    thread; the panel then says who it goes to and whether it waits for a destination."""

    def sent(result: Any) -> None:
        from ui.documents.outbox_note import queued_note

        panel._set_busy(False)
        panel.last_sent = result
        panel.status.setText(queued_note(result.recipient_name, result.recipient_email,
                                         no_destination=result.no_destination, created=result.created,
                                         what="report", printable=False))
        panel.ctx.state.data_changed.emit("outbox")

    panel._set_busy(True, "Putting the report in the outbox…")
    panel.ctx.tasks.run(send, sent, panel._failed)

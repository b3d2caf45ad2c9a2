"""Making a report's PDF and showing it, the same way for every report panel: the report is read
again off the UI thread (audited as a PDF), the PDF is drawn on the pool, and it opens in the
shared viewer unless the unit locked meanwhile. The panel has `ctx`, `status`, `_set_busy(busy,
text="")`, `_failed(exc)` and keeps the viewer in `pdf_dialog`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
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

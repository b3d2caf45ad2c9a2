"""The outbox's delivery worker inside the app: sends what is due every minute, and at once after
anything is queued (`data_changed("outbox")`), as the signed-in user.

The run happens on a thread of its own, never the UI thread: the network waits there, and each
short database step is handed to the app's one database thread (`ctx.tasks.call_on_db`), so the
database is used from one thread as everywhere else. Nothing here touches a widget from that
thread: the report comes back through a queued signal. After a run that changed something,
`data_changed("outbox")` is emitted so the status bar and the Outbox page refresh.

It stops when the unit locks (and starts again on unlock) and when the window closes. Tests that
build a MainWindow do not start it: KEYWORKER_OUTBOX_WORKER=off (tests/conftest.py sets it), or
`OutboxWorker(ctx, enabled=False)`."""
from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

if TYPE_CHECKING:
    from ui.context import AppContext

log = logging.getLogger(__name__)

INTERVAL_MS = 60_000


def enabled_by_default() -> bool:
    return os.environ.get("KEYWORKER_OUTBOX_WORKER", "on").strip().lower() not in ("off", "0", "no", "false")


class OutboxWorker(QObject):
    """`start()`, `stop()`, `run_now()`. `ran(report)` on the UI thread after each run."""

    ran = Signal(object)  # RunReport, on the UI thread
    _finished = Signal(object)  # from the worker thread: (report or None)

    def __init__(self, ctx: AppContext, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS,
                 enabled: bool | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.enabled = enabled_by_default() if enabled is None else enabled
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.run_now)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._again = False
        self._running = False
        self._emitting = False
        self._worker: Any = None
        self._worker_book: Any = None
        self._finished.connect(self._on_finished)  # queued: emitted from the worker thread
        ctx.state.data_changed.connect(self._on_data_changed)
        ctx.state.locked_changed.connect(self._on_locked)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def busy(self) -> bool:
        return self._running

    def start(self) -> None:
        if not self.enabled or self.ctx.state.locked:
            return
        self._stop.clear()
        self._timer.start()
        self.run_now()

    def stop(self, wait_seconds: float = 5.0) -> None:
        """Stop the timer and ask a run in progress to end after its current item (the items not
        yet sent are given back); wait for it a little, so its database steps finish first."""
        self._timer.stop()
        self._stop.set()
        self._again = False
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(wait_seconds)

    @Slot()
    def run_now(self) -> None:
        if not self.enabled or self._stop.is_set() or self.ctx.state.locked:
            return
        if self._running:
            self._again = True  # something was queued during the run: one more run after it
            return
        self._running = True
        self._thread = threading.Thread(target=self._work, name="kw-outbox", daemon=True)
        self._thread.start()

    # -- the worker thread -------------------------------------------------------------------------
    def _work(self) -> None:
        from keyworker.outbox.worker import DeliveryWorker

        report = None
        try:
            book = self.ctx.book
            if self._worker is None or self._worker_book is not book:
                self._worker = DeliveryWorker(book, db=self._call_on_db, stop=self._stop)
                self._worker_book = book
            report = self._worker.run_once()
        except Exception as exc:  # noqa: BLE001 - locked, closing, disk trouble: the next run tries again
            log.info("outbox run did not complete: %s", type(exc).__name__)
        try:
            self._finished.emit(report)
        except RuntimeError:  # the app is gone
            pass

    def _call_on_db(self, fn: Any) -> Any:
        call = getattr(self.ctx.tasks, "call_on_db", None)
        return call(fn) if call is not None else fn()

    # -- back on the UI thread ---------------------------------------------------------------------
    @Slot(object)
    def _on_finished(self, report: Any) -> None:
        self._running = False
        if report is not None:
            if report.changed:
                self._emitting = True
                try:
                    self.ctx.state.data_changed.emit("outbox")
                finally:
                    self._emitting = False
            self.ran.emit(report)
        if self._again and not self._stop.is_set():
            self._again = False
            self.run_now()

    @Slot(str)
    def _on_data_changed(self, area: str) -> None:
        if area == "outbox" and not self._emitting and self.running:
            self.run_now()

    @Slot(bool)
    def _on_locked(self, locked: bool) -> None:
        if locked:
            self.stop(wait_seconds=0)
        elif self.enabled:
            self.start()

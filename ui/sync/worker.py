"""The sync worker inside the app (keyworker/sync/worker.py does the work): started with the main
window when this laptop has joined a hub, stopped while the unit is locked and when the window
closes. Its database steps run on the app's one database thread (`ctx.tasks.call_on_db`); the
network waits on its own thread. After each round, and after a failed one, `data_changed("sync")`
is emitted on the UI thread (and "residents" when other laptops' changes arrived), so the status
bar, Sync conflicts, the banner and open records read again. A save here wakes it, so a change
leaves soon; File → Sync now (Ctrl+Shift+Y), or a click on the status bar's sync line when no
conflict waits, wakes it at once. Off with KEYWORKER_SYNC_WORKER=off (as the outbox's)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from ui.context import AppContext

log = logging.getLogger(__name__)
WAKE_ON = ("residents", "care_plans", "reviews", "referrals", "medication", "risk", "notes", "discharges",
           "incidents", "accounts")


class SyncWorkerHook(QObject):
    _ran = Signal(object)  # from the worker thread: a SyncReport, or an error
    running = Signal(bool)  # the worker started (this laptop has joined a hub) or stopped
    syncing = Signal()      # "Sync now" asked for a round

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.worker: Any = None
        self._ran.connect(self._on_ran)  # queued onto the UI thread
        ctx.state.locked_changed.connect(lambda locked: self.stop() if locked else self.start())
        ctx.state.data_changed.connect(self._on_data_changed)

    def start(self) -> None:
        if self.worker is not None or self.ctx.state.locked:
            return
        from keyworker.sync.worker import start_if_enrolled

        try:
            self.worker = start_if_enrolled(self.ctx.book, db=self.ctx.tasks.call_on_db,
                                            on_report=self._ran.emit, on_error=self._ran.emit)
        except Exception as e:  # noqa: BLE001 - a damaged hub entry must not stop the app opening
            log.warning("sync worker not started: %s", type(e).__name__)
        self.running.emit(self.worker is not None)

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()
            self.running.emit(False)

    def sync_now(self) -> bool:
        """A round now (or straight after the one under way). False when there is no worker: this
        laptop has not joined a hub, the unit is locked, or the worker is off."""
        if self.worker is None:
            return False
        self.worker.wake()
        self.syncing.emit()
        return True

    def _on_data_changed(self, area: str) -> None:
        if self.worker is not None and area in WAKE_ON:
            self.worker.wake()

    @Slot(object)
    def _on_ran(self, what: Any) -> None:
        if self.ctx.state.locked:
            return
        self.ctx.state.data_changed.emit("sync")
        if getattr(what, "pulled", 0):
            self.ctx.state.data_changed.emit("residents")

"""A status bar reading taken off the UI thread on a timer: every 30 seconds, when asked
(`poll()`), one reading at a time, never while the unit is locked; a reading that fails (a locked
or busy unit) is simply tried again at the next. Used by the outbox line (ui/status.py) and the
sync line (ui/sync/status_line.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ui.context import AppContext

POLL_MS = 30_000


class StatusPoller(QObject):
    def __init__(self, ctx: AppContext, read: Callable[[], Any], show: Callable[[Any], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._read, self._show = read, show
        self._polling = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        ctx.state.locked_changed.connect(self._locked)

    def start(self) -> None:
        if not self.ctx.state.locked:
            self.timer.start()
            self.poll()

    def _locked(self, locked: bool) -> None:
        if locked:
            self.timer.stop()
        else:
            self.start()

    def poll(self) -> None:
        if self.ctx.state.locked or self._polling:
            return
        self._polling = True

        def done(reading: Any) -> None:
            self._polling = False
            if not self.ctx.state.locked:
                self._show(reading)

        def failed(_exc: BaseException) -> None:  # a locked or busy unit: the next reading tries again
            self._polling = False

        self.ctx.tasks.run(self._read, done, failed)

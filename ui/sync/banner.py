""""As of last sync HH:MM": the line on the screens an out-of-hours worker acts on (medication, the
risk assessment and contingency plan, the unplanned discharge) while this laptop has not synced
with the unit hub for 15 minutes (`book.sync.status().stale`), so nobody takes what they see for
the whole unit's latest. Hidden otherwise, and on a laptop that has not joined a hub. Read off
the UI thread, again every minute and after a sync (`data_changed("sync")`)."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from keyworker.clock import to_local
from keyworker.sync.service import SyncStatus
from ui.context import AppContext

POLL_MS = 60_000


def banner_text(st: SyncStatus, now_day: object = None) -> str:
    if st.last_synced_at is None:
        return ("\u26a0 Not synced with the unit hub yet: changes made on the unit's other laptops "
                "may be missing here.")
    local = to_local(st.last_synced_at)
    when = local.strftime("%H:%M") if now_day in (None, local.date()) else local.strftime("%d/%m/%Y %H:%M")
    return (f"\u26a0 As of last sync {when}: changes made on the unit's other laptops since then "
            "are not shown here.")


class SyncBanner(QLabel):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("syncBanner")
        self.setWordWrap(True)
        self.setAccessibleName("Sync warning")
        self.setStyleSheet("QLabel#syncBanner { color: #7a3e00; background: #fff1d6; border: 1px solid #7a3e00;"
                           " border-radius: 4px; padding: 6px 10px; font-weight: 600; }")
        self.hide()
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ctx.state.data_changed.connect(lambda area: self.refresh() if area == "sync" else None)
        ctx.state.locked_changed.connect(lambda locked: None if locked else self.refresh())
        self.refresh()

    def refresh(self) -> None:
        if self._busy or self.ctx.state.locked:
            return
        self._busy = True

        def done(st: SyncStatus) -> None:
            self._busy = False
            self.set_status(st)

        def failed(_exc: BaseException) -> None:
            self._busy = False

        self.ctx.tasks.run(self.ctx.book.sync.status, done, failed)

    def set_status(self, st: SyncStatus) -> None:
        if not st.stale:
            self.hide()
            return
        self.setText(banner_text(st, to_local(self.ctx.book.clock.now()).date()))
        self.show()

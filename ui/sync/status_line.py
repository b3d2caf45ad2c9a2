"""The status bar's sync line, beside the outbox: "Synced 2 min ago", "Offline since 21:40",
"3 conflicts waiting" (docs/SYNC.md, "The screens"). Nothing at all while this laptop has not
joined a unit hub. Read off the UI thread (`book.sync.status()` on the task runner) every 30
seconds, after a sync or a conflict resolved (`data_changed("sync")`), never while locked.
Clicking it opens Sync conflicts (for those who may resolve them, when some wait), else syncs now."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from keyworker.clock import format_datetime
from keyworker.security.permissions import Permission
from keyworker.sync.service import SyncStatus, status_words
from ui.context import AppContext
from ui.status import ClickableLabel
from ui.status_poll import StatusPoller


class SyncStatusLabel(ClickableLabel):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.status: SyncStatus | None = None
        self.setObjectName("statusSync")
        self.setAccessibleName("Sync with the unit hub")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.hide()  # until the first reading, and for good on a laptop that has not joined a hub
        self._poller = StatusPoller(ctx, lambda: ctx.book.sync.status(), self.set_status, self)
        self.timer = self._poller.timer
        ctx.state.actor_changed.connect(self.poll)
        ctx.state.data_changed.connect(lambda area: self.poll() if area in ("sync", "residents") else None)
        self.clicked.connect(self.open_conflicts)
        self._poller.start()

    def poll(self) -> None:
        self._poller.poll()

    def set_status(self, st: SyncStatus) -> None:
        self.status = st
        if not st.enrolled:
            self.hide()
            return
        now = self.ctx.book.clock.now()
        self.setText(status_words(st, now))
        tips = [f"Unit hub: {st.hub_url}" if st.hub_url else "Joined to a unit hub."]
        if st.last_synced_at is not None:
            tips.append(f"Last synced {format_datetime(st.last_synced_at)}.")
        else:
            tips.append("Not synced with the hub yet.")
        if st.offline_since is not None:
            tips.append(f"The hub has not been reached since {format_datetime(st.offline_since)}: "
                        "everything typed here is kept and goes when it is reached again.")
        if st.last_error:
            tips.append(st.last_error)
        if st.pending_ops:
            tips.append(f"{st.pending_ops} change{'s' if st.pending_ops != 1 else ''} on this laptop "
                        "still to send.")
        if st.quarantined:
            tips.append(f"{st.quarantined} change{'s' if st.quarantined != 1 else ''} from other laptops "
                        "could not be applied here: the administrator can see them with `check`.")
        notice = getattr(self.ctx.book, "unit_key_notice", None)
        if notice:
            tips.append(notice)
        elif st.rekey_pending:
            tips.append("This laptop will re-key its database to the unit's new key at the next sign-in "
                        "(close Keyworker, start it again and sign in).")
        if st.conflicts_waiting and self._may_resolve():
            tips.append("Click to open Sync conflicts.")
        else:
            tips.append("Click to sync now (Ctrl+Shift+Y).")
        self.setToolTip("\n".join(tips))
        self.setAccessibleDescription(" ".join(tips))
        warn = st.offline_since is not None or st.stale or st.conflicts_waiting
        self.setProperty("tone", "warning" if warn else "ok")
        self.setStyleSheet("QLabel { color: #7a3e00; }" if warn else "")
        self.show()

    def _may_resolve(self) -> bool:
        return bool(self.ctx.book.actor.can(Permission.RESOLVE_SYNC_CONFLICTS))

    def show_syncing(self) -> None:
        """Until the round's reading comes back (the worker's report polls again)."""
        if self.isVisible():
            self.setText("Syncing…")

    def open_conflicts(self) -> None:
        """A click: Sync conflicts when some wait for this user, else a round now."""
        window: Any = self.ctx.main_window
        if window is None or self.ctx.state.locked:
            return
        go_to = getattr(window, "go_to", None)
        if callable(go_to) and self._may_resolve() and self.status is not None and self.status.conflicts_waiting:
            go_to("sync_conflicts")
            return
        hook = getattr(window, "sync_worker", None)
        if hook is not None:
            hook.sync_now()

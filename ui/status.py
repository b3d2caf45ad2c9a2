"""The main window's status bar: who is signed in and their role, lock state, the outbox line
("Outbox: 3 waiting (oldest 2 h) · 1 needs attention") and whether this laptop reaches its
destinations ("● Online" / "● Offline" / "No destination set"), measured by the delivery worker's
last attempts, never guessed from the network adapter.

The outbox line is read off the UI thread (`book.outbox.status()` on the task runner) every
30 seconds and after every outbox change (`data_changed("outbox")`); polling stops while the unit
is locked. Clicking the outbox line opens the Outbox page."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ui.context import AppContext
from ui.status_poll import POLL_MS, StatusPoller

__all__ = ["POLL_MS", "ClickableLabel", "StatusBar"]
WHERE_TO_SET = "Ask a senior or the administrator to set a destination in Administration → Destinations."


def _label(name: str, tip: str) -> QLabel:
    lab = QLabel()
    lab.setObjectName(name)
    lab.setAccessibleName(tip)
    lab.setToolTip(tip)
    return lab


class ClickableLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class StatusBar(QStatusBar):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("statusBar")
        self.user_label = _label("statusUser", "Signed-in user and role")
        self.lock_label = _label("statusLock", "Lock state")
        self.outbox_label = ClickableLabel()
        self.outbox_label.setObjectName("statusOutbox")
        self.outbox_label.setAccessibleName("Items waiting in the outbox")
        self.outbox_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.outbox_label.clicked.connect(self.open_outbox)
        self.online_label = _label("statusOnline", "Whether the destinations can be reached")
        from ui.sync.status_line import SyncStatusLabel  # "Synced 2 min ago" (issue 17), beside the outbox

        self.sync_label = SyncStatusLabel(ctx)
        self.addWidget(self.user_label)
        for lab in (self.lock_label, self.sync_label, self.outbox_label, self.online_label):
            self.addPermanentWidget(lab)
        self.outbox_label.hide()  # until the first reading: no count of nothing
        self.online_label.hide()
        ctx.state.actor_changed.connect(self.refresh)
        ctx.state.actor_changed.connect(self.poll)
        ctx.state.locked_changed.connect(lambda _locked: self.refresh())
        ctx.state.data_changed.connect(lambda area: self.poll() if area == "outbox" else None)
        self._poller = StatusPoller(ctx, lambda: ctx.book.outbox.status(), self.set_outbox, self)
        self.timer = self._poller.timer
        self.refresh()
        self._poller.start()

    def refresh(self) -> None:
        actor = self.ctx.book.actor
        if self.ctx.state.locked:
            self.user_label.setText("Locked — sign in to continue")
            self.lock_label.setText("Locked")
        else:
            self.user_label.setText(f"Signed in: {actor.full_name} ({actor.username}) · {actor.role.label}")
            self.lock_label.setText("Unlocked")

    # -- the outbox line ---------------------------------------------------------------------------
    def poll(self) -> None:
        """Read the outbox's status off the UI thread (one reading at a time)."""
        self._poller.poll()

    def set_outbox(self, status: Any) -> None:
        """Show an `OutboxStatus` (keyworker.outbox.service): the line, and online or offline."""
        self.outbox_label.setText(status.text)
        tips = []
        if status.waiting:
            tips.append(f"{status.waiting} waiting to be sent; the oldest has waited {status.oldest}.")
        if status.quarantined:
            tips.append(f"{status.quarantined} refused by the receiver: a senior can see why on the Outbox page.")
        if status.no_destination:
            tips.append(f"{status.no_destination} with no destination to go to. {WHERE_TO_SET}")
        tips.append("Click to open the Outbox page.")
        self.outbox_label.setToolTip("\n".join(tips))
        self.outbox_label.setAccessibleDescription(" ".join(tips))
        self.outbox_label.show()
        if not status.destinations:
            self.set_online(None, "No destination set", WHERE_TO_SET)
        elif status.online is None:
            self.set_online(None, "○ Not tried yet",
                            "No destination has been tried yet: the first delivery will tell whether it can be reached.")
        elif status.online:
            self.set_online(True, "● Online", "A destination answered at the last attempt.")
        else:
            self.set_online(False, "● Offline", f"Could not reach the destination. {status.error or ''}".strip())

    def set_online(self, online: bool | None, text: str, tip: str) -> None:
        self.online_label.setText(text)
        self.online_label.setToolTip(tip)
        self.online_label.setAccessibleDescription(tip)
        self.online_label.setProperty("online", {True: "yes", False: "no", None: "unknown"}[online])
        colour = {True: "#1b7a3a", False: "#b3261e", None: ""}[online]
        self.online_label.setStyleSheet(f"QLabel {{ color: {colour}; }}" if colour else "")
        self.online_label.show()

    def open_outbox(self) -> None:
        window = self.ctx.main_window
        go_to = getattr(window, "go_to", None)
        if callable(go_to) and not self.ctx.state.locked:
            go_to("outbox")

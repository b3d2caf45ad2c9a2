"""The main window's status bar: who is signed in and their role, lock state, the outbox count
(the outbox area sets it with `set_outbox`) and whether this laptop is online."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ui.context import AppContext


def _label(name: str, tip: str) -> QLabel:
    lab = QLabel()
    lab.setObjectName(name)
    lab.setAccessibleName(tip)
    lab.setToolTip(tip)
    return lab


class StatusBar(QStatusBar):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("statusBar")
        self.user_label = _label("statusUser", "Signed-in user and role")
        self.lock_label = _label("statusLock", "Lock state")
        self.outbox_label = _label("statusOutbox", "Items waiting in the outbox")
        self.online_label = _label("statusOnline", "Network connection")
        self.addWidget(self.user_label)
        for lab in (self.lock_label, self.outbox_label, self.online_label):
            self.addPermanentWidget(lab)
        self.outbox_label.hide()  # until the outbox area reports (set_outbox): no count of nothing
        ctx.state.actor_changed.connect(self.refresh)
        ctx.state.locked_changed.connect(lambda _l: self.refresh())
        self._network: QObject | None = None
        self._watch_network()
        self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.book.actor
        if self.ctx.state.locked:
            self.user_label.setText("Locked — sign in to continue")
            self.lock_label.setText("Locked")
        else:
            self.user_label.setText(f"Signed in: {actor.full_name} ({actor.username}) · {actor.role.label}")
            self.lock_label.setText("Unlocked")

    def set_outbox(self, waiting: int, oldest: str | None = None) -> None:
        """Called by the outbox area. `oldest` is a short age like "2 h"."""
        text = f"Outbox: {waiting} waiting"
        if waiting and oldest:
            text += f", oldest {oldest}"
        self.outbox_label.setText(text)
        self.outbox_label.show()

    def set_online(self, online: bool | None) -> None:
        self.online_label.setText({True: "● Online", False: "○ Offline", None: "Network: unknown"}[online])

    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:
            self.set_online(None)
            return
        if not QNetworkInformation.loadDefaultBackend() or QNetworkInformation.instance() is None:
            self.set_online(None)
            return
        info = QNetworkInformation.instance()
        self._network = info

        def update(*_args: object) -> None:
            r = info.reachability()
            if r == QNetworkInformation.Reachability.Unknown:
                self.set_online(None)
            else:
                self.set_online(r == QNetworkInformation.Reachability.Online)

        info.reachabilityChanged.connect(update)
        update()
